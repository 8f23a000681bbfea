import { Button, EmptyState } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { Link } from '../router.tsx';
import { usePageTitle } from './usePageTitle.ts';

/** Shown for a page the signed-in role may not open (marketing and patient records). */
export function NoAccessPage() {
  usePageTitle('Not available');
  return (
    <EmptyState
      mt="xl"
      icon={<IconLock aria-hidden />}
      title="This page is not available to your role"
      description="Patient records, tasks, leads and duplicate review are for staff who work with individual patients. Ask your administrator if you need access."
    >
      <EmptyState.Actions>
        <Button component={Link} href="/" variant="light">
          Back to the overview
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}
