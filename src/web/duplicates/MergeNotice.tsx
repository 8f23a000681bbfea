import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { IconArrowBackUp, IconCircleCheck } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { undoMerge } from '../api/duplicates.ts';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';
import { Link } from '../router.tsx';
import type { MergedPair } from './CompareRecords.tsx';

interface MergeNoticeProps {
  result: MergedPair;
  undone: boolean;
  onUndone: () => void;
  onClose: () => void;
}

/** What the last merge did, with the way back; stays until closed, so Undo is not a race against a toast. */
export function MergeNotice({ result, undone, onUndone, onClose }: MergeNoticeProps) {
  const undo = useAction(undoMerge);
  const survivor = formatFullName(result.survivor);
  const merged = formatFullName(result.merged);
  const movedRows = result.merge.moved.reduce((n, m) => n + m.rows, 0);
  const changed = result.merge.changedFields.length;

  async function handleUndo() {
    if (await undo.run(result.merge.id)) onUndone();
  }

  if (undone) {
    return (
      <Alert color="blue" variant="light" icon={<IconArrowBackUp aria-hidden />} title="Merge undone" withCloseButton onClose={onClose} role="status">
        <Text fz="sm">
          <Anchor component={Link} href={`/patients/${result.survivor.id}`}>
            {survivor}
          </Anchor>{' '}
          and{' '}
          <Anchor component={Link} href={`/patients/${result.merged.id}`}>
            {merged}
          </Anchor>{' '}
          are separate records again, as they were before the merge; the pair is back in the queue.
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="teal" variant="light" icon={<IconCircleCheck aria-hidden />} title="Records merged" withCloseButton onClose={onClose} role="status">
      <Stack gap="xs">
        <Text fz="sm">
          {merged} was merged into {survivor}. {changed === 0 ? 'No values were' : `${changed} ${changed === 1 ? 'value was' : 'values were'}`} taken
          from the merged record, and {movedRows} linked {movedRows === 1 ? 'item' : 'items'} moved to {survivor}.
        </Text>
        {undo.error !== null && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(undo.error)}
          </Text>
        )}
        <Group gap="sm">
          <Button component={Link} href={`/patients/${result.survivor.id}`} size="xs" variant="white">
            Open {survivor}
          </Button>
          <Button size="xs" color="teal" variant="outline" leftSection={<IconArrowBackUp size={14} aria-hidden />} loading={undo.pending} onClick={() => void handleUndo()}>
            Undo
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
