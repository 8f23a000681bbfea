import { Badge, Box, Group, Stack, Text } from '@mantine/core';
import { formatInstant } from '../patients/format.ts';
import type { ThreadItem } from './api.ts';
import { HANDLED, OUTBOUND_STATUS } from './format.ts';

function Bubble({ item }: { item: ThreadItem }) {
  const incoming = item.direction === 'in';
  const text = item.body ?? (item.direction === 'out' && item.templateKey ? `(${item.templateKey}: written when it is sent)` : '');
  return (
    <Stack gap={2} align={incoming ? 'flex-start' : 'flex-end'} role="listitem" aria-label={incoming ? 'Received' : 'Sent'}>
      <Box
        maw="75%"
        px="sm"
        py={6}
        bg={incoming ? 'var(--mantine-color-gray-light)' : 'var(--mantine-color-blue-filled)'}
        c={incoming ? undefined : 'white'}
        style={{ borderRadius: 12, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
      >
        <Text fz="sm" inherit>
          {text || '(no text)'}
        </Text>
      </Box>
      <Group gap={6}>
        <Text fz="xs" c="dimmed">
          {formatInstant(item.at)}
          {item.direction === 'out' && item.sentBy ? ` · ${item.sentBy}` : ''}
          {item.direction === 'out' && !item.sentBy ? ' · automatic' : ''}
        </Text>
        {item.direction === 'out' && (
          <Badge size="xs" variant="light" color={OUTBOUND_STATUS[item.status].color} title={item.reason ?? undefined}>
            {OUTBOUND_STATUS[item.status].label}
          </Badge>
        )}
        {item.direction === 'in' && item.handledAs !== 'conversation' && (
          <Badge size="xs" variant="outline" color="gray">
            {HANDLED[item.handledAs]}
          </Badge>
        )}
      </Group>
      {item.direction === 'out' && item.reason && (item.status === 'failed' || item.status === 'not_sent') && (
        <Text fz="xs" c="red">
          {item.status === 'failed' ? 'Failed' : 'Not sent'}: {item.reason}
        </Text>
      )}
    </Stack>
  );
}

/** The texts both ways, oldest first: the patient's on the left, the clinic's on the right with their status. */
export function Bubbles({ items }: { items: ThreadItem[] }) {
  return (
    <Stack gap="sm" role="list" aria-label="Messages">
      {items.map((item) => (
        <Bubble key={`${item.direction}:${item.id}`} item={item} />
      ))}
    </Stack>
  );
}
