import { useState } from 'react';
import { Badge, Button, EmptyState, Group, Paper, Stack, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { IconAlertTriangle, IconMessage, IconPlus } from '@tabler/icons-react';
import type { MessageTemplate, TemplateGroup } from './api.ts';
import { TemplateDrawer, type TemplateSeed } from './TemplateDrawer.tsx';
import { channelName, PURPOSES } from './words.ts';

type Editing = { template: MessageTemplate | null; seed: TemplateSeed | null; group: TemplateGroup | null };

/** Templates by key: each key's channels and languages as chips that open the editor. */
export function TemplatesTab({ groups, onSaved }: { groups: TemplateGroup[]; onSaved: () => void }) {
  const [editing, setEditing] = useState<Editing | null>(null);
  return (
    <>
      <Group justify="flex-end" mb="sm">
        <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing({ template: null, seed: null, group: null })}>
          New template
        </Button>
      </Group>
      {groups.length === 0 && <EmptyState icon={<IconMessage aria-hidden />} title="No templates" description="Write what journeys send: a reminder, a follow-up, a billing notice." />}
      <Stack gap="sm">
        {groups.map((g) => (
          <Paper key={g.key} withBorder radius="md" p="md" component="section" aria-label={g.name}>
            <Group justify="space-between" align="flex-start">
              <Stack gap={2}>
                <Group gap="xs">
                  <Text fw={600}>{g.name}</Text>
                  <Text fz="xs" c="dimmed" ff="monospace">{g.key}</Text>
                  <Badge size="xs" variant="light" color={g.purpose === 'care' ? 'teal' : 'grape'}>{PURPOSES.find((p) => p.value === g.purpose)?.label}</Badge>
                </Group>
                <Text fz="xs" c="dimmed">
                  {g.usedBy.length ? `Sent by ${g.usedBy.map((j) => `“${j.name}”${j.enabled ? '' : ' (off)'}`).join(', ')}` : 'No journey sends it yet'}
                </Text>
              </Stack>
              <Button
                size="xs"
                variant="subtle"
                leftSection={<IconPlus size={14} aria-hidden />}
                onClick={() => setEditing({ template: null, seed: { key: g.key, name: g.name, purpose: g.purpose }, group: g })}
              >
                Add a channel or language
              </Button>
            </Group>
            <Group gap="xs" mt="sm">
              {g.templates.map((t) => (
                <UnstyledButton key={t.id} onClick={() => setEditing({ template: t, seed: null, group: g })} aria-label={`Edit ${channelName(t.channel)} ${t.language} ${g.name}`}>
                  <Badge
                    size="lg"
                    variant="outline"
                    color={t.warnings.length ? 'orange' : 'blue'}
                    tt="none"
                    rightSection={
                      t.warnings.length ? (
                        <Tooltip label={t.warnings.join(' ')} multiline w={320}>
                          <IconAlertTriangle size={14} aria-label={`${t.warnings.length} warning${t.warnings.length === 1 ? '' : 's'}`} />
                        </Tooltip>
                      ) : undefined
                    }
                  >
                    {channelName(t.channel)} · {t.language}
                  </Badge>
                </UnstyledButton>
              ))}
            </Group>
          </Paper>
        ))}
      </Stack>
      {editing && (
        <TemplateDrawer
          key={editing.template ? `${editing.template.id}:${editing.template.version}` : `new:${editing.seed?.key ?? ''}`}
          template={editing.template}
          seed={editing.seed}
          allowed={editing.template?.allowedContexts ?? editing.group?.templates[0]?.allowedContexts ?? null}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            onSaved();
          }}
        />
      )}
    </>
  );
}
