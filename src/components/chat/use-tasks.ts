'use client';

import { useCallback, useEffect, useState } from 'react';
import type { TaskListResponse, TaskView } from '@/lib/schemas/tasks';

/** A task as `GET /api/scheduling-agent/tasks` sends it (the schema its route is typed against). */
export type TaskSummary = TaskView;

const BUSY = new Set(['QUEUED', 'PROCESSING']);

/** The user's recent tasks; re-read every second while the agent is working on one. */
export function useTasks() {
  const [tasks, setTasks] = useState<TaskSummary[]>([]);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (failures: number) => {
      const response = await fetch('/api/scheduling-agent/tasks', { cache: 'no-store' }).catch(() => null);
      if (cancelled) return;
      if (!response?.ok) {
        // Keep the "agent is working" state honest after a blip: try again, backing off.
        timer = setTimeout(() => void load(failures + 1), Math.min(30_000, 1_000 * 2 ** failures));
        return;
      }
      const { tasks: latest } = (await response.json()) as TaskListResponse;
      if (cancelled) return;
      setTasks(latest);
      if (latest.some((t) => BUSY.has(t.status))) timer = setTimeout(() => void load(0), 1_000);
    };
    void load(0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [version]);

  const working = tasks.some((t) => BUSY.has(t.status));
  return { tasks, working, refresh };
}
