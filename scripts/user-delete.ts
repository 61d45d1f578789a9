// npm run user:delete -- --email a@example.com
// Deletes the account and everything that is theirs (messages, cursors, tasks, calendar events,
// rate-limit rows, sessions) in one transaction, and prints what went as JSON. Their sessions end
// on every running instance within a second (README, "Sessions").
import { deleteAccountByEmail } from '@/lib/services/account-deletion.service';
import { required, runCli } from './cli';

await runCli({ email: { type: 'string' } }, async (values) => {
  const deleted = await deleteAccountByEmail(required(values, 'email'));
  return { ok: true, output: { deleted: true, ...deleted } };
});
