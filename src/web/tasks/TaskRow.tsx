import { useState } from 'react';
import { Anchor, Badge, Checkbox, Group, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlarm, IconUser } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { changeTaskStatus, type Task, type TaskPriority } from '../api/tasks.ts';
import { formatDaysFromNow, formatFullName, formatInstant } from '../patients/format.ts';
import { Link } from '../router.tsx';

const PRIORITY: Record<TaskPriority, { label: string; color: string } | null> = {
  low: { label: 'Low', color: 'gray' },
  normal: null,
  high: { label: 'High', color: 'orange' },
  urgent: { label: 'Urgent', color: 'red' },
};

interface TaskRowProps {
  task: Task;
  /** Show which patient it is about (not on the patient's own page). */
  showPatient: boolean;
  onChanged: (task: Task) => void;
}

/** One task: tick it off (or reopen it), see when it is due, open the patient. */
export function TaskRow({ task, showPatient, onChanged }: TaskRowProps) {
  const [saving, setSaving] = useState(false);
  const done = task.status === 'done';
  const priority = PRIORITY[task.priority];

  async function toggle() {
    setSaving(true);
    try {
      const changed = await changeTaskStatus(task.id, done ? 'open' : 'done');
      notifications.show({ color: 'teal', message: done ? `Reopened “${task.title}”.` : `Done: “${task.title}”.` });
      onChanged(changed);
    } catch (error) {
      notifications.show({ color: 'red', title: 'The task was not changed', message: errorMessage(error) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <Paper withBorder radius="md" p="sm" bg={task.overdue ? 'red.0' : undefined}>
      <Group align="flex-start" wrap="nowrap" gap="sm">
        <Checkbox
          mt={2}
          checked={done}
          disabled={saving || task.status === 'cancelled'}
          onChange={() => void toggle()}
          aria-label={done ? `Reopen “${task.title}”` : `Mark “${task.title}” done`}
        />
        <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
          <Group gap="xs">
            <Text fw={600} fz="sm" td={done ? 'line-through' : undefined} c={done ? 'dimmed' : undefined}>
              {task.title}
            </Text>
            {priority && (
              <Badge size="xs" color={priority.color} variant="light">
                {priority.label}
              </Badge>
            )}
            {task.overdue && (
              <Badge size="xs" color="red" variant="filled">
                Overdue
              </Badge>
            )}
            {task.status === 'cancelled' && (
              <Badge size="xs" color="gray" variant="outline">
                Cancelled
              </Badge>
            )}
          </Group>
          {task.description && (
            <Text fz="sm" c="gray.7" style={{ whiteSpace: 'pre-wrap' }}>
              {task.description}
            </Text>
          )}
          <Group gap="md" mt={2}>
            {task.dueAt && (
              <Group gap={4} c={task.overdue ? 'red.8' : 'dimmed'}>
                <IconAlarm size={14} aria-hidden />
                <Text fz="xs" c="inherit">
                  Due {formatInstant(task.dueAt)} ({formatDaysFromNow(task.dueAt)})
                </Text>
              </Group>
            )}
            {showPatient && task.patient && (
              <Anchor component={Link} href={`/patients/${task.patient.id}`} fz="xs" fw={500}>
                {formatFullName(task.patient)}
              </Anchor>
            )}
            <Group gap={4} c="dimmed">
              <IconUser size={14} aria-hidden />
              <Text fz="xs" c="inherit">
                {task.assignee ? task.assignee.name : 'Unassigned'}
              </Text>
            </Group>
            {done && task.completedAt && (
              <Text fz="xs" c="dimmed">
                Done {formatInstant(task.completedAt)}
              </Text>
            )}
          </Group>
        </Stack>
      </Group>
    </Paper>
  );
}
