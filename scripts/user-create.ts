// npm run user:create -- --email a@example.com --password '...' [--name Ana]
//   [--timezone Europe/Berlin] [--working-hours '{"days":[1,2,3,4,5],"start":"09:00","end":"17:00"}']
// Creates a user and prints { "id": ... } as JSON.
import { describeIssues } from '@/lib/errors/app-error';
import { UserSettingsInput } from '@/lib/schemas/users';
import { createUser, updateUserSettings } from '@/lib/services/user.service';
import { required, runCli } from './cli';

await runCli(
  {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    timezone: { type: 'string' },
    'working-hours': { type: 'string' },
  },
  async (values) => {
    let workingHours: unknown;
    if (typeof values['working-hours'] === 'string') {
      try {
        workingHours = JSON.parse(values['working-hours']);
      } catch {
        throw new Error('--working-hours must be JSON like {"days":[1,2,3,4,5],"start":"09:00","end":"17:00"}');
      }
    }
    // Checked before the user exists, so bad settings leave nothing behind.
    const settings = UserSettingsInput.safeParse({ timeZone: values.timezone, workingHours });
    if (!settings.success) throw new Error(describeIssues(settings.error.issues));
    const user = await createUser({
      email: required(values, 'email'),
      password: required(values, 'password'),
      name: values.name as string | undefined,
    });
    await updateUserSettings(user.id, settings.data);
    return { ok: true, output: { id: user.id, email: user.email, name: user.name } };
  },
);
