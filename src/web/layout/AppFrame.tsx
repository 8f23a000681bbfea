import type { ReactNode } from 'react';
import { AppShell, Burger, Group, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useSession } from '../auth/AuthContext.tsx';
import { BrandMark } from '../common/BrandMark.tsx';
import { Link } from '../router.tsx';
import { AccountBar } from './AccountBar.tsx';
import { Navigation } from './Navigation.tsx';

/** The signed-in frame: header, section navigation and the page. */
export function AppFrame({ pathname, children }: { pathname: string; children: ReactNode }) {
  const [navOpened, nav] = useDisclosure(false);
  const { tenant } = useSession();

  return (
    <AppShell
      header={{ height: 64 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="lg"
    >
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navOpened}
              onClick={nav.toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navOpened ? 'Close navigation' : 'Open navigation'}
            />
            <Link href="/" aria-label="Rapport home" style={{ textDecoration: 'none' }}>
              <BrandMark />
            </Link>
          </Group>
          <AccountBar />
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm">
        <AppShell.Section grow>
          <Navigation pathname={pathname} onNavigate={nav.close} />
        </AppShell.Section>
        <AppShell.Section>
          <Text fz="xs" c="dimmed" px="sm" py="xs" hiddenFrom="md" truncate>
            {tenant.name}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main bg="gray.0">{children}</AppShell.Main>
    </AppShell>
  );
}
