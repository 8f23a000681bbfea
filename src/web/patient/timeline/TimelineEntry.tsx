import { Group, Text, ThemeIcon } from '@mantine/core';
import type { TimelineItem } from '../../api/timeline.ts';
import { formatAgo, formatInstant } from '../../patients/format.ts';
import { kindBody, kindLabel, kindStyle } from './kinds.ts';

function actorName(actor: TimelineItem['actor']): string {
  if (actor.name) return actor.name;
  if (actor.type === 'system') return 'Rapport';
  if (actor.type === 'api_token') return 'An integration';
  if (actor.type === 'public') return 'Web form';
  return 'Someone';
}

/** The bullet of one event: its family's icon in its colour. */
export function TimelineBullet({ item }: { item: TimelineItem }) {
  const { icon: KindIcon, color } = kindStyle(item);
  const label = kindLabel(item);
  return (
    <ThemeIcon size={26} radius="xl" variant="light" color={color} {...(label ? { role: 'img', 'aria-label': label, title: label } : {})}>
      <KindIcon size={15} aria-hidden />
    </ThemeIcon>
  );
}

/** One touch: what happened, who did it and when, and a note's or call's text. */
export function TimelineEntry({ item }: { item: TimelineItem }) {
  const body = kindBody(item);
  const rawFields: unknown = item.detail.fields;
  const fields = item.kind === 'record.changed' && Array.isArray(rawFields) ? rawFields.filter((f: unknown): f is string => typeof f === 'string') : [];
  return (
    <>
      <Text fw={600} fz="sm">
        {item.summary}
      </Text>
      {body && (
        <Text fz="sm" mt={4} style={{ whiteSpace: 'pre-wrap' }}>
          {body}
        </Text>
      )}
      {fields.length > 4 && (
        <Text fz="xs" c="dimmed" mt={2}>
          {fields.join(', ')}
        </Text>
      )}
      <Group gap={6} mt={4}>
        <Text fz="xs" c="dimmed">
          {actorName(item.actor)}
        </Text>
        <Text fz="xs" c="dimmed" aria-hidden>
          ·
        </Text>
        <Text fz="xs" c="dimmed" title={new Date(item.occurredAt).toLocaleString()}>
          {formatInstant(item.occurredAt)} ({formatAgo(item.occurredAt)})
        </Text>
      </Group>
    </>
  );
}
