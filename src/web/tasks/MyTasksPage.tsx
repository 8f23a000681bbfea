import { Button, Collapse, Group, Paper, SegmentedControl, Stack } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import type { TaskQuery } from '../api/tasks.ts';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { NewTaskForm } from './NewTaskForm.tsx';
import { TaskList } from './TaskList.tsx';
import { useTasks } from './useTasks.ts';

type View = 'open' | 'overdue' | 'unassigned' | 'done';

const VIEWS: Record<View, { label: string; query: TaskQuery; empty: { title: string; description: string } }> = {
  open: {
    label: 'My open tasks',
    query: { assignee: 'me', status: 'open' },
    empty: { title: 'Nothing on your list', description: 'Tasks assigned to you appear here, soonest due first.' },
  },
  overdue: {
    label: 'Overdue',
    query: { assignee: 'me', overdue: true },
    empty: { title: 'Nothing overdue', description: 'Every task of yours with a due date is on time.' },
  },
  unassigned: {
    label: 'Unassigned',
    query: { assignee: 'unassigned', status: 'open' },
    empty: { title: 'No unassigned tasks', description: 'Tasks nobody has picked up yet appear here.' },
  },
  done: {
    label: 'Done',
    query: { assignee: 'me', status: 'done' },
    empty: { title: 'Nothing done yet', description: 'Tasks you complete appear here.' },
  },
};

const isView = (value: string | null): value is View => value !== null && value in VIEWS;

/** The signed-in user's work: open and overdue tasks, the unassigned pool, what is done. */
export function MyTasksPage() {
  usePageTitle('My tasks');
  const location = useLocation();
  const requested = location.search.get('view');
  const view: View = isView(requested) ? requested : 'open';
  const tasks = useTasks(VIEWS[view].query);
  const [adding, form] = useDisclosure(false);

  return (
    <Stack gap="md" maw={960}>
      <PageHeader
        title="My tasks"
        description="Follow-ups and call-backs, soonest due first. Tick a task off when it is done."
        actions={
          <Button leftSection={<IconPlus size={18} aria-hidden />} variant={adding ? 'light' : 'filled'} onClick={form.toggle}>
            New task
          </Button>
        }
      />
      <Collapse expanded={adding}>
        <Paper withBorder radius="md" p="md">
          <NewTaskForm
            onCreated={(task) => {
              notifications.show({ color: 'teal', message: `Added “${task.title}”.` });
              form.close();
              tasks.refresh();
            }}
          />
        </Paper>
      </Collapse>
      <Group>
        <SegmentedControl
          value={view}
          onChange={(value) => updateSearch({ view: value === 'open' ? null : value })}
          data={(Object.keys(VIEWS) as View[]).map((value) => ({ value, label: VIEWS[value].label }))}
          aria-label="Which tasks"
        />
      </Group>
      <TaskList tasks={tasks} showPatient empty={VIEWS[view].empty} />
    </Stack>
  );
}
