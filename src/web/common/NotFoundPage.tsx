import { Button, EmptyState } from '@mantine/core';
import { IconCompass } from '@tabler/icons-react';
import { Link } from '../router.tsx';
import { usePageTitle } from './usePageTitle.ts';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <EmptyState
      mt="xl"
      icon={<IconCompass aria-hidden />}
      title="This page does not exist"
      description="The address may be mistyped, or the page may have moved."
    >
      <EmptyState.Actions>
        <Button component={Link} href="/" variant="light">
          Back to the overview
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}
