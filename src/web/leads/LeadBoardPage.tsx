import { useState } from 'react';
import type { ReactNode } from 'react';
import { Badge, Box, Button, Group, Paper, ScrollArea, Skeleton, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { LEAD_STAGES, moveLead, type Lead, type LeadStage } from '../api/leads.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { formatFullName } from '../patients/format.ts';
import { navigate } from '../router.tsx';
import { ConvertLeadModal } from './ConvertLeadModal.tsx';
import { LeadCard } from './LeadCard.tsx';
import { LostReasonModal } from './LostReasonModal.tsx';
import { NewLeadModal } from './NewLeadModal.tsx';
import { STAGE } from './stages.ts';
import { useLeadBoard } from './useLeadBoard.ts';

const COLUMN_MIN_WIDTH = 210;

function Column({ stage, count, children }: { stage: LeadStage; count: number | null; children: ReactNode }) {
  const meta = STAGE[stage];
  return (
    <Paper
      component="section"
      aria-label={meta.label}
      withBorder
      radius="md"
      p="sm"
      bg="gray.0"
      miw={COLUMN_MIN_WIDTH}
      style={{ alignSelf: 'stretch', flex: '1 1 0' }}
    >
      <Group justify="space-between" mb={4}>
        <Text fw={650} fz="sm">
          {meta.label}
        </Text>
        {count !== null && (
          <Badge color={meta.color} variant="light" radius="sm">
            {count}
          </Badge>
        )}
      </Group>
      <Text fz="xs" c="dimmed" mb="sm">
        {meta.hint}
      </Text>
      <Stack gap="xs">{children}</Stack>
    </Paper>
  );
}

/** Leads by stage, from first contact to patient: move them along, mark them lost, convert them. */
export function LeadBoardPage() {
  usePageTitle('Leads');
  const board = useLeadBoard();
  const [adding, addModal] = useDisclosure(false);
  const [losing, setLosing] = useState<Lead | null>(null);
  const [converting, setConverting] = useState<Lead | null>(null);

  async function move(lead: Lead, stage: Exclude<LeadStage, 'converted' | 'lost'>) {
    try {
      await moveLead(lead.id, stage);
      notifications.show({ color: 'teal', message: `${formatFullName(lead)} moved to ${STAGE[stage].label}.` });
      board.refresh();
    } catch (error) {
      notifications.show({ color: 'red', title: 'The lead was not moved', message: errorMessage(error) });
    }
  }

  return (
    <Stack gap="md">
      <PageHeader
        title="Leads"
        description="Enquiries and first calls on their way to becoming patients, with the channel that brought each one."
        actions={
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={addModal.open}>
            New lead
          </Button>
        }
      />
      {board.status === 'error' ? (
        <ErrorAlert title="The lead board could not be loaded" error={board.error} onRetry={board.reload} />
      ) : (
        <ScrollArea type="auto" offsetScrollbars>
          <Box style={{ display: 'flex', gap: 'var(--mantine-spacing-md)', alignItems: 'flex-start', paddingBottom: 8 }}>
            {LEAD_STAGES.map((stage) => {
              const leads = board.status === 'success' ? board.data[stage] : null;
              return (
                <Column key={stage} stage={stage} count={leads?.length ?? null}>
                  {leads === null ? (
                    <Skeleton height={96} radius="md" />
                  ) : leads.length === 0 ? (
                    <Text fz="sm" c="dimmed" ta="center" py="md">
                      No leads
                    </Text>
                  ) : (
                    leads.map((lead) => (
                      <LeadCard key={lead.id} lead={lead} onMove={(l, s) => void move(l, s)} onLose={setLosing} onConvert={setConverting} />
                    ))
                  )}
                </Column>
              );
            })}
          </Box>
        </ScrollArea>
      )}
      <NewLeadModal
        opened={adding}
        onClose={addModal.close}
        onCreated={(lead) => {
          addModal.close();
          notifications.show({ color: 'teal', message: `${formatFullName(lead)} was added to New.` });
          board.refresh();
        }}
      />
      <LostReasonModal
        lead={losing}
        onClose={() => setLosing(null)}
        onLost={(lead) => {
          setLosing(null);
          notifications.show({ color: 'gray', message: `${formatFullName(lead)} was marked as lost.` });
          board.refresh();
        }}
      />
      <ConvertLeadModal
        lead={converting}
        onClose={() => setConverting(null)}
        onConverted={({ patientId, created }) => {
          const name = converting ? formatFullName(converting) : 'The lead';
          setConverting(null);
          notifications.show({
            color: 'teal',
            title: 'Lead converted',
            message: created ? `${name} is now a registered patient.` : `${name} was linked to the patient.`,
          });
          navigate(`/patients/${patientId}`);
        }}
      />
    </Stack>
  );
}
