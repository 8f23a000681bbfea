import type { ReactNode } from 'react';
import { SimpleGrid, Stack, Text } from '@mantine/core';

/** A titled group of inputs in a responsive grid. */
export function FormSection({ title, cols = 2, children }: { title: string; cols?: number; children: ReactNode }) {
  return (
    <Stack gap="xs" component="fieldset" style={{ border: 0, padding: 0, margin: 0, minWidth: 0 }}>
      <Text component="legend" fz="xs" fw={600} c="dimmed" tt="uppercase" mb={4} style={{ letterSpacing: 0.5, padding: 0 }}>
        {title}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: cols }} spacing="sm" verticalSpacing="sm">
        {children}
      </SimpleGrid>
    </Stack>
  );
}
