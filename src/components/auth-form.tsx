'use client';

import { signIn } from 'next-auth/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { MIN_PASSWORD_LENGTH, NewPassword, PASSWORD_RULES, SIGN_IN_TOO_MANY_ATTEMPTS } from '@/lib/schemas/users';
import styles from './auth-form.module.css';

/** The sign-in and sign-up form: sign-up creates the user through POST /api/users, then signs in. */
export function AuthForm({ mode }: { mode: 'login' | 'register' }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') {
        // The server's own rules, so the answer comes before the request.
        const checked = NewPassword.safeParse(password);
        if (!checked.success) {
          setError(`Password ${checked.error.issues.map((issue) => issue.message).join('; ')}.`);
          return;
        }
        const response = await fetch('/api/users', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email, password, name: String(form.get('name') ?? '') || undefined }),
        });
        if (!response.ok) {
          const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
          setError(body?.error?.message ?? 'Could not create the account');
          return;
        }
      }
      const result = await signIn('credentials', { email, password, redirect: false });
      if (!result || result.error) {
        setError(
          result?.error === SIGN_IN_TOO_MANY_ATTEMPTS
            ? 'Too many sign-in attempts from this network; wait a few minutes and try again.'
            : 'Wrong email or password.',
        );
        return;
      }
      router.replace('/');
      router.refresh();
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'login' ? 'Sign in' : 'Create an account';
  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={onSubmit} aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        {mode === 'register' && (
          <label>
            Name
            <input name="name" autoComplete="name" maxLength={100} />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            minLength={mode === 'register' ? MIN_PASSWORD_LENGTH : undefined}
            aria-describedby={mode === 'register' ? 'password-rules' : undefined}
            required
          />
        </label>
        {mode === 'register' && <p id="password-rules">Password: {PASSWORD_RULES}.</p>}
        {error && (
          <p role="alert" className={styles.error}>
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Please wait…' : title}
        </button>
        <p className={styles.switch}>
          {mode === 'login' ? (
            <>
              No account? <Link href="/register">Create one</Link>
            </>
          ) : (
            <>
              Have an account? <Link href="/login">Sign in</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
