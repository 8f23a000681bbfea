import type { ReactNode } from 'react';
import { EmptyState, Skeleton, Stack } from '@mantine/core';
import { IconChecklist } from '@tabler/icons-react';
import type { Task } from '../api/tasks.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import type { ApiQuery } from '../common/useApiQuery.ts';
import { TaskRow } from './TaskRow.tsx';

interface TaskListProps {
  tasks: ApiQuery<Task[]>;
  showPatient: boolean;
  empty: { title: string; description: ReactNode };
}

/** Tasks as rows; after a change the list is read again, since the task may have left it. */
export function TaskList({ tasks, showPatient, empty }: TaskListProps) {
  if (tasks.status === 'loading') {
    return (
      <Stack gap="xs" role="status" aria-label="Loading tasks">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} height={64} radius="md" />
        ))}
      </Stack>
    );
  }
  if (tasks.status === 'error') return <ErrorAlert title="Tasks could not be loaded" error={tasks.error} onRetry={tasks.reload} />;
  if (tasks.data.length === 0) {
    return <EmptyState icon={<IconChecklist aria-hidden />} title={empty.title} description={empty.description} py="lg" />;
  }
  return (
    <Stack gap="xs" aria-label="Tasks" role="list">
      {tasks.data.map((task) => (
        <div role="listitem" key={task.id}>
          <TaskRow task={task} showPatient={showPatient} onChanged={tasks.refresh} />
        </div>
      ))}
    </Stack>
  );
}
