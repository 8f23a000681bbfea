import { Center, Loader, Stack, Text } from '@mantine/core';
import { ErrorAlert } from './ErrorAlert.tsx';

/** Shown before the app knows who is signed in. */
export function FullPageLoader({ label }: { label: string }) {
  return (
    <Center mih="100vh">
      <Stack align="center" gap="sm" role="status">
        <Loader color="teal" />
        <Text c="dimmed" fz="sm">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

/** Shown when the server could not tell whether anyone is signed in. */
export function FullPageError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <Center mih="100vh" p="md">
      <Stack w="100%" maw={480}>
        <ErrorAlert title="Rapport is not reachable right now" error={error} onRetry={onRetry} />
      </Stack>
    </Center>
  );
}

/** Inside the frame, while a page's code arrives. */
export function PageLoader() {
  return (
    <Center mih={240} role="status" aria-label="Loading the page">
      <Loader color="teal" size="sm" />
    </Center>
  );
}
