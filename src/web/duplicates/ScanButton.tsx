import { Button } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconRadar } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { scanForDuplicates } from '../api/duplicates.ts';
import { useAction } from '../common/useAction.ts';

/** Administrators: compare every patient with every likely match now, filling the queue. */
export function ScanButton({ onScanned }: { onScanned: () => void }) {
  const scan = useAction(scanForDuplicates);

  async function handleScan() {
    const result = await scan.run();
    if (!result) {
      notifications.show({ color: 'red', title: 'The scan did not run', message: 'Try again in a moment.' });
      return;
    }
    const found = result.clear + result.likely;
    notifications.show({
      color: 'teal',
      title: 'Scan finished',
      message: `${result.patients.toLocaleString()} patients checked; ${found === 0 ? 'no new pairs' : `${found} likely ${found === 1 ? 'pair' : 'pairs'}`} in the queue.`,
    });
    onScanned();
  }

  return (
    <Button
      variant="default"
      leftSection={<IconRadar size={16} aria-hidden />}
      loading={scan.pending}
      onClick={() => void handleScan()}
      title={scan.error !== null ? errorMessage(scan.error) : undefined}
    >
      Scan for duplicates
    </Button>
  );
}
