import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Box, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle, IconLock } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { BrandIcon } from '../common/BrandMark.tsx';
import { useAuth } from './AuthContext.tsx';

function failureTitle(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) return 'Too many attempts';
  if (error instanceof ApiError && error.status === 401) return 'Sign-in failed';
  return 'Could not sign in';
}

/** The sign-in screen. Where to go afterwards is the App's job, driven by the session state. */
export function LoginPage() {
  const { signIn } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    document.title = 'Sign in · Rapport';
  }, []);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (failure) {
      setError(failure);
      setPassword('');
      setSubmitting(false);
    }
  }

  return (
    <Box
      mih="100vh"
      style={{
        background:
          'linear-gradient(160deg, var(--mantine-color-teal-0) 0%, var(--mantine-color-gray-0) 55%, var(--mantine-color-cyan-0) 100%)',
      }}
    >
      <Center mih="100vh" p="md">
        <Stack w="100%" maw={420} gap="lg">
          <Stack gap={6} align="center" ta="center">
            <BrandIcon size={52} />
            <Title order={1} c="teal.9" fz={36} fw={700}>
              Rapport
            </Title>
            <Text c="dimmed">The patient relationship manager for your clinic.</Text>
          </Stack>

          <Paper component="main" withBorder shadow="sm" radius="lg" p="xl">
            <form onSubmit={handleSubmit}>
              <Stack gap="md">
                <Title order={2} fz="lg" fw={600}>
                  Welcome back
                </Title>
                {error !== null && (
                  <Alert color="red" variant="light" icon={<IconAlertCircle aria-hidden />} title={failureTitle(error)}>
                    {errorMessage(error)}
                  </Alert>
                )}
                <TextInput
                  label="Email"
                  type="email"
                  autoComplete="username"
                  placeholder="you@clinic.org"
                  required
                  autoFocus
                  value={email}
                  onChange={(event) => setEmail(event.currentTarget.value)}
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(event) => setPassword(event.currentTarget.value)}
                  visibilityToggleButtonProps={{ 'aria-label': 'Show characters' }}
                />
                <Button type="submit" fullWidth size="md" loading={submitting} leftSection={<IconLock size={18} aria-hidden />}>
                  Sign in
                </Button>
              </Stack>
            </form>
          </Paper>

          <Text c="dimmed" fz="xs" ta="center">
            Forgot your password? Your clinic&apos;s Rapport administrator can reset it.
          </Text>
        </Stack>
      </Center>
    </Box>
  );
}
