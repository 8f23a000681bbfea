import { useEffect, type ReactNode } from 'react';
import { Alert, Box, Center, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { ApiError, errorMessage } from '../api/client.ts';
import { BrandIcon } from '../common/BrandMark.tsx';

/** The frame of the pages patients open from a message: the clinic's name over a single column. */
export function LinkFrame({ clinicName, title, children }: { clinicName: string | null; title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = clinicName ? `${title} · ${clinicName}` : title;
  }, [clinicName, title]);
  return (
    <Box mih="100vh" bg="gray.0" py="xl" px="md">
      <Stack maw={640} mx="auto" gap="lg">
        <Group gap="sm">
          <BrandIcon size={36} />
          <Text fw={700} fz="lg" c="teal.9">
            {clinicName ?? '\u00a0'}
          </Text>
        </Group>
        <Paper component="main" withBorder radius="lg" p="lg" shadow="xs">
          {children}
        </Paper>
      </Stack>
    </Box>
  );
}

export function LinkLoading({ label }: { label: string }) {
  return (
    <Center py="xl">
      <Loader color="teal" aria-label={label} />
    </Center>
  );
}

/** Why a link did not open: broken, expired, or something else, in words for the patient. */
export function LinkProblem({ error }: { error: unknown }) {
  const title =
    error instanceof ApiError && error.status === 410
      ? 'This link has expired'
      : error instanceof ApiError && error.status === 404
        ? 'This link does not work'
        : error instanceof ApiError && error.status === 429
          ? 'Too many attempts'
          : 'Something went wrong';
  return (
    <Alert color="red" role="alert" title={title}>
      {errorMessage(error)}
    </Alert>
  );
}
