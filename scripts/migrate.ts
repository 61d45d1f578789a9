// npm run db:migrate - applies drizzle/ migrations to DATABASE_URL, or to the embedded PGlite database.
import { getEnv } from '@/lib/config/env';
import { migratePostgres, openDatabase } from '@/lib/db/client';

async function main(): Promise<void> {
  const env = getEnv();
  if (env.DATABASE_URL) {
    await migratePostgres(env.DATABASE_URL);
    console.log(JSON.stringify({ migrated: 'postgres' }));
    return;
  }
  // Opening PGlite applies the migrations (and takes the directory's lock while it does).
  const database = await openDatabase({ pgliteDir: env.PGLITE_DIR });
  await database.close();
  console.log(JSON.stringify({ migrated: 'pglite', dir: env.PGLITE_DIR }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
