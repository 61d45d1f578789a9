import { notFound } from 'next/navigation';
import { AuthForm } from '@/components/auth-form';
import { getEnv } from '@/lib/config/env';

export const dynamic = 'force-dynamic';

export default function RegisterPage() {
  if (!getEnv().ALLOW_SIGNUP) notFound();
  return <AuthForm mode="register" />;
}
