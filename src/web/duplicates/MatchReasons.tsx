import { List, Text, ThemeIcon } from '@mantine/core';
import { IconCheck, IconMinus } from '@tabler/icons-react';
import type { MatchReason } from '../api/duplicates.ts';

/** Why two records look like one person: agreements first (weight > 0), then what speaks against it. */
export function MatchReasons({ reasons, max }: { reasons: MatchReason[]; max?: number }) {
  const sorted = [...reasons].sort((a, b) => b.weight - a.weight);
  const shown = max ? sorted.slice(0, max) : sorted;
  if (shown.length === 0) return null;
  return (
    <List spacing={2} size="sm" center>
      {shown.map((reason, i) => (
        <List.Item
          key={`${reason.field}-${i}`}
          icon={
            <ThemeIcon size={16} radius="xl" variant="light" color={reason.weight > 0 ? 'teal' : 'orange'}>
              {reason.weight > 0 ? <IconCheck size={11} aria-hidden /> : <IconMinus size={11} aria-hidden />}
            </ThemeIcon>
          }
        >
          <Text fz="sm" span>
            {reason.detail}
          </Text>
        </List.Item>
      ))}
      {max && sorted.length > max && (
        <Text fz="xs" c="dimmed">
          and {sorted.length - max} more
        </Text>
      )}
    </List>
  );
}
