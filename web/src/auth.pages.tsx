import { useState } from 'react';
import { Field, FormAlert, useSubmit } from './form.js';
import { Link, navigate } from './router.js';
import { useSession } from './session.js';

/** Sign in with a username or email; then back to where the user was going (`?next=`). */
export function LoginPage({ next }: { next: string }) {
  const { login } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    await login(name.trim(), password);
    navigate(next, { replace: true });
  });
  return (
    <section aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Username or email" name="login" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} error={error?.fields['/login']} required autoFocus />
        <Field label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={error?.fields['/password']} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <FormAlert error={error} shown={['/login', '/password']} />
      <p>
        New here? <Link href={`/signup?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </section>
  );
}

/** Create an account: every invalid field is said at once, next to it. */
export function SignupPage({ next }: { next: string }) {
  const { signup } = useSession();
  const [form, setForm] = useState({ username: '', email: '', password: '' });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  const { busy, error, submit } = useSubmit(async () => {
    await signup(form.username.trim(), form.email.trim(), form.password);
    navigate(next, { replace: true });
  });
  return (
    <section aria-labelledby="signup-title">
      <h1 id="signup-title">Create an account</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Username" name="username" autoComplete="username" value={form.username} onChange={set('username')} error={error?.fields['/username']} required autoFocus />
        <Field label="Email" name="email" type="email" autoComplete="email" value={form.email} onChange={set('email')} error={error?.fields['/email']} required />
        <Field label="Password" name="password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} error={error?.fields['/password']} required />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <FormAlert error={error} shown={['/username', '/email', '/password']} />
      <p>
        Have an account? <Link href={`/login?next=${encodeURIComponent(next)}`}>Sign in</Link>
      </p>
    </section>
  );
}
