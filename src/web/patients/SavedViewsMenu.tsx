import { Badge, Button, Menu, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBookmark, IconBookmarkPlus, IconChevronDown, IconTrash, IconUsersGroup } from '@tabler/icons-react';
import { deleteSavedView, type SavedView } from '../api/catalog.ts';
import { errorMessage } from '../api/client.ts';
import type { PatientFilters } from '../api/patients.ts';
import { filterKey, filtersToRecord } from './filters.ts';
import { SaveViewModal } from './SaveViewModal.tsx';
import { useSavedViews } from './useSavedViews.ts';

interface SavedViewsMenuProps {
  filters: PatientFilters;
  onPick: (filters: Record<string, string>) => void;
}

function ViewItems({ views, onPick }: { views: SavedView[]; onPick: (view: SavedView) => void }) {
  return views.map((view) => (
    <Menu.Item
      key={view.id}
      onClick={() => onPick(view)}
      rightSection={
        view.shared ? (
          <Badge size="xs" variant="light" color="gray" leftSection={<IconUsersGroup size={10} aria-hidden />}>
            shared
          </Badge>
        ) : null
      }
    >
      {view.name}
    </Menu.Item>
  ));
}

/** Pick a saved view, save the current filters as one, or delete the one in use. */
export function SavedViewsMenu({ filters, onPick }: SavedViewsMenuProps) {
  const views = useSavedViews();
  const [saving, saveModal] = useDisclosure(false);
  const list = views.status === 'success' ? views.data : [];
  const currentKey = filterKey({ ...filters });
  const active = currentKey ? list.find((v) => filterKey(v.filters) === currentKey) : undefined;
  const mine = list.filter((v) => v.mine);
  const shared = list.filter((v) => !v.mine);

  async function remove(view: SavedView) {
    try {
      await deleteSavedView(view.id);
      notifications.show({ color: 'teal', message: `Deleted the view “${view.name}”.` });
      views.refresh();
    } catch (error) {
      notifications.show({ color: 'red', title: 'The view was not deleted', message: errorMessage(error) });
    }
  }

  return (
    <>
      <Menu position="bottom-end" width={280} shadow="md">
        <Menu.Target>
          <Button
            variant={active ? 'light' : 'default'}
            leftSection={<IconBookmark size={16} aria-hidden />}
            rightSection={<IconChevronDown size={14} aria-hidden />}
          >
            {active ? active.name : 'Saved views'}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {views.status === 'error' && (
            <Text fz="sm" c="red" px="sm" py={6}>
              {errorMessage(views.error)}
            </Text>
          )}
          {mine.length > 0 && <Menu.Label>My views</Menu.Label>}
          <ViewItems views={mine} onPick={(v) => onPick(v.filters)} />
          {shared.length > 0 && <Menu.Label>Shared with the clinic</Menu.Label>}
          <ViewItems views={shared} onPick={(v) => onPick(v.filters)} />
          {views.status === 'success' && list.length === 0 && (
            <Text fz="sm" c="dimmed" px="sm" py={6}>
              No saved views yet.
            </Text>
          )}
          <Menu.Divider />
          <Menu.Item leftSection={<IconBookmarkPlus size={16} aria-hidden />} disabled={!currentKey} onClick={saveModal.open}>
            Save current view…
          </Menu.Item>
          {active?.mine && (
            <Menu.Item color="red" leftSection={<IconTrash size={16} aria-hidden />} onClick={() => void remove(active)}>
              Delete “{active.name}”
            </Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      <SaveViewModal
        opened={saving}
        filters={filtersToRecord(filters)}
        onClose={saveModal.close}
        onSaved={(view) => {
          saveModal.close();
          notifications.show({ color: 'teal', message: `Saved the view “${view.name}”.` });
          views.refresh();
        }}
      />
    </>
  );
}
