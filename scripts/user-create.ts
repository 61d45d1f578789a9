// npm run user:create -- --email a@example.com --password '...' [--name Ana]
// Creates a user and prints { "id": ... } as JSON.
import { createUser } from '@/lib/services/user.service';
import { required, runCli } from './cli';

await runCli({ email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } }, async (values) => {
  const user = await createUser({
    email: required(values, 'email'),
    password: required(values, 'password'),
    name: values.name as string | undefined,
  });
  return { ok: true, output: { id: user.id, email: user.email, name: user.name } };
});
