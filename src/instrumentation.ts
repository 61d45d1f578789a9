/**
 * Runs once when the Next.js server starts: validates the environment (a bad variable stops
 * the server with its name) and, on embedded PGlite, opens and migrates the database.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startServer } = await import('@/lib/server/start');
  await startServer();
}
