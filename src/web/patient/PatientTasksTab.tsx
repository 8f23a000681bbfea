import { useState } from 'react';
import { Group, Paper, Stack, Switch, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { NewTaskForm } from '../tasks/NewTaskForm.tsx';
import { TaskList } from '../tasks/TaskList.tsx';
import { useTasks } from '../tasks/useTasks.ts';

/** The patient's tasks: add one, tick them off, optionally see finished ones. */
export function PatientTasksTab({ patientId, readOnly }: { patientId: string; readOnly: boolean }) {
  const [showAll, setShowAll] = useState(false);
  const tasks = useTasks({ patientId, status: showAll ? 'all' : 'open' });

  return (
    <Stack gap="md">
      {!readOnly && (
        <Paper withBorder radius="md" p="md">
          <Text fw={600} fz="sm" mb="xs">
            New task for this patient
          </Text>
          <NewTaskForm
            patientId={patientId}
            onCreated={(task) => {
              notifications.show({ color: 'teal', message: `Added “${task.title}”.` });
              tasks.refresh();
            }}
          />
        </Paper>
      )}
      <Group justify="flex-end">
        <Switch label="Include done and cancelled" checked={showAll} onChange={(event) => setShowAll(event.currentTarget.checked)} />
      </Group>
      <TaskList
        tasks={tasks}
        showPatient={false}
        empty={{ title: showAll ? 'No tasks for this patient' : 'No open tasks', description: 'Call-backs and follow-ups for this patient appear here.' }}
      />
    </Stack>
  );
}
