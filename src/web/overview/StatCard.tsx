import { Card, Group, Skeleton, Stack, Text, ThemeIcon } from '@mantine/core';
import type { Icon } from '@tabler/icons-react';
import type { ReactNode } from 'react';

const numberFormat = new Intl.NumberFormat();

export interface StatCardProps {
  label: string;
  value: number | null;
  hint: string;
  icon: Icon;
  color: string;
  /** Optional link or action shown under the number. */
  footer?: ReactNode;
}

/** One count on the overview; `value: null` while loading. */
export function StatCard({ label, value, hint, icon: StatIcon, color, footer }: StatCardProps) {
  return (
    <Card padding="lg" radius="md" withBorder>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4}>
          <Text fz="sm" c="dimmed" fw={500}>
            {label}
          </Text>
          {value === null ? (
            <Skeleton height={34} width={72} mt={2} />
          ) : (
            <Text fz={32} fw={700} lh={1.1} style={{ fontVariantNumeric: 'tabular-nums' }}>
              {numberFormat.format(value)}
            </Text>
          )}
        </Stack>
        <ThemeIcon variant="light" color={color} size={44} radius="md">
          <StatIcon size={24} stroke={1.6} aria-hidden />
        </ThemeIcon>
      </Group>
      <Text fz="xs" c="dimmed" mt="sm">
        {hint}
      </Text>
      {footer}
    </Card>
  );
}
