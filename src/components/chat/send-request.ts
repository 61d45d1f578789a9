'use client';

/** What the user types or clicks goes to the agent's task API with the browser's time zone. */
export async function sendToAgent(request: string, taskId?: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const response = await fetch('/api/scheduling-agent/tasks', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ request, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, ...(taskId && { taskId }) }),
  }).catch(() => null);
  if (!response) return { ok: false, error: 'Could not reach the server. Try again.' };
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    return { ok: false, error: body?.error?.message ?? 'Could not send your request.' };
  }
  return { ok: true };
}

/** The message box's id: focus goes back there after Send, a choice, or Mark all read. */
export const COMPOSER_INPUT_ID = 'composer-input';

export function focusComposer(): void {
  document.getElementById(COMPOSER_INPUT_ID)?.focus();
}
