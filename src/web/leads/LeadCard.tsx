import { ActionIcon, Anchor, Badge, Button, Card, Group, Menu, Stack, Text } from '@mantine/core';
import { IconArrowRight, IconDots, IconThumbDown, IconUserCheck } from '@tabler/icons-react';
import type { Lead, LeadStage } from '../api/leads.ts';
import { formatAgo, formatFullName, formatPhone } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { originLabel, STAGE, WORKING_STAGES } from './stages.ts';

interface LeadCardProps {
  lead: Lead;
  onMove: (lead: Lead, stage: Exclude<LeadStage, 'converted' | 'lost'>) => void;
  onLose: (lead: Lead) => void;
  onConvert: (lead: Lead) => void;
}

function SourceLine({ lead }: { lead: Lead }) {
  const s = lead.source;
  const utm = [s.utmSource, s.utmMedium, s.utmCampaign].filter(Boolean).join(' / ');
  return (
    <Stack gap={2}>
      <Group gap={4}>
        <Badge size="sm" variant="light" color="violet" tt="none" radius="sm">
          {s.channel ?? originLabel(lead.origin)}
        </Badge>
        {s.campaign && (
          <Text fz="xs" c="dimmed">
            {s.campaign}
          </Text>
        )}
      </Group>
      {s.referrer && (
        <Text fz="xs" c="dimmed" truncate title={s.referrer}>
          Referred by {s.referrer}
        </Text>
      )}
      {utm && (
        <Text fz="xs" c="dimmed" truncate title={utm}>
          UTM {utm}
        </Text>
      )}
    </Stack>
  );
}

/** One lead on the board: who, what they want, where they came from, and what to do next. */
export function LeadCard({ lead, onMove, onLose, onConvert }: LeadCardProps) {
  const name = formatFullName(lead);
  const working = lead.stage !== 'converted' && lead.stage !== 'lost';
  const moves = WORKING_STAGES.filter((s) => s !== lead.stage);

  return (
    <Card withBorder radius="md" padding="sm" shadow="none" aria-label={name} component="article">
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap={4}>
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Text fw={600} fz="sm" truncate>
            {name}
          </Text>
          {lead.interest && (
            <Text fz="xs" c="gray.7" lineClamp={2}>
              {lead.interest}
            </Text>
          )}
        </Stack>
        {lead.stage !== 'converted' && (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label={`Move ${name}`}>
                <IconDots size={16} aria-hidden />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>Move to</Menu.Label>
              {moves.map((stage) => (
                <Menu.Item key={stage} leftSection={<IconArrowRight size={14} aria-hidden />} onClick={() => onMove(lead, stage)}>
                  {STAGE[stage].label}
                </Menu.Item>
              ))}
              {working && (
                <>
                  <Menu.Divider />
                  <Menu.Item color="red" leftSection={<IconThumbDown size={14} aria-hidden />} onClick={() => onLose(lead)}>
                    Lost…
                  </Menu.Item>
                </>
              )}
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
      <Stack gap={6} mt={6}>
        <SourceLine lead={lead} />
        {lead.phone && (
          <Text fz="xs" c="dimmed">
            {formatPhone(lead.phone)}
          </Text>
        )}
        {lead.email && (
          <Text fz="xs" c="dimmed" truncate title={lead.email}>
            {lead.email}
          </Text>
        )}
        {lead.stage === 'lost' && lead.lostReason && (
          <Text fz="xs" c="red.8">
            Lost: {lead.lostReason}
          </Text>
        )}
        <Group justify="space-between" gap={4}>
          <Text fz="xs" c="dimmed">
            {lead.stage === 'new' ? 'Came in' : 'Moved here'} {formatAgo(lead.stageChangedAt)}
            {lead.owner ? ` · ${lead.owner.name}` : ''}
          </Text>
          {working && (
            <Button size="compact-xs" variant="light" leftSection={<IconUserCheck size={12} aria-hidden />} onClick={() => onConvert(lead)}>
              Convert
            </Button>
          )}
          {lead.stage === 'converted' && lead.patientId && (
            <Anchor component={Link} href={`/patients/${lead.patientId}`} fz="xs" fw={600}>
              Open patient →
            </Anchor>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
