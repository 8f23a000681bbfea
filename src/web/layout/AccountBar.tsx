import { useState } from 'react';
import { Avatar, Button, Divider, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconBuildingHospital, IconLogout } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { useAuth, useSession } from '../auth/AuthContext.tsx';
import { initials, roleLabel } from '../auth/roles.ts';

/** Right side of the header: which clinic, who is signed in, and the way out. */
export function AccountBar() {
  const { signOut } = useAuth();
  const { user, tenant } = useSession();
  const [signingOut, setSigningOut] = useState(false);

  async function handleSignOut() {
    setSigningOut(true);
    try {
      await signOut();
    } catch (error) {
      setSigningOut(false);
      notifications.show({ color: 'red', title: 'Sign-out did not complete', message: errorMessage(error) });
    }
  }

  return (
    <Group gap="md" wrap="nowrap">
      <Group gap={6} wrap="nowrap" visibleFrom="md" c="dimmed">
        <IconBuildingHospital size={18} stroke={1.6} aria-hidden />
        <Text fz="sm" fw={500} c="gray.8" data-testid="tenant-name" truncate maw={240}>
          {tenant.name}
        </Text>
      </Group>
      <Divider orientation="vertical" visibleFrom="md" />
      <Group gap="sm" wrap="nowrap">
        <Avatar color="teal" radius="xl" size={36} aria-hidden>
          {initials(user.displayName)}
        </Avatar>
        <Stack gap={0} visibleFrom="sm">
          <Text fz="sm" fw={600} lh={1.3} data-testid="user-name">
            {user.displayName}
          </Text>
          <Text fz="xs" c="dimmed" lh={1.3} data-testid="user-role">
            {roleLabel(user.role)}
          </Text>
        </Stack>
      </Group>
      <Button
        variant="default"
        size="sm"
        leftSection={<IconLogout size={16} aria-hidden />}
        loading={signingOut}
        onClick={() => void handleSignOut()}
      >
        Sign out
      </Button>
    </Group>
  );
}
