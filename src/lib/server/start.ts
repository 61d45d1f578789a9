import { getEnv } from '@/lib/config/env';
import { getDatabase } from '@/lib/db/client';
import { getLogger } from '@/lib/log/logger';

/** Server start-up: environment first, then the embedded database (PostgreSQL is migrated by `npm run db:migrate`). */
export async function startServer(): Promise<void> {
  const env = getEnv();
  const database = await getDatabase();
  getLogger().info(
    { database: database.kind, pusher: env.isPusherConfigured },
    database.kind === 'pglite' ? `embedded database ready at ${env.PGLITE_DIR}` : 'connected to PostgreSQL',
  );
}
