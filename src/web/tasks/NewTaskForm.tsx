import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Group, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { createTask, type Task, type TaskPriority } from '../api/tasks.ts';
import { useSession } from '../auth/AuthContext.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useStaff } from '../catalog/useStaff.ts';

const UNASSIGNED = 'unassigned';

const PRIORITIES = [
  { value: 'low', label: 'Low' },
  { value: 'normal', label: 'Normal' },
  { value: 'high', label: 'High' },
  { value: 'urgent', label: 'Urgent' },
];

/** "2026-03-04T09:30" typed in the browser's zone, as an instant the API takes. */
function localToInstant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/** Creates a task, about a patient when `patientId` is given, assigned to the user by default or to a colleague. */
export function NewTaskForm({ patientId, onCreated }: { patientId?: string; onCreated: (task: Task) => void }) {
  const { user } = useSession();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [due, setDue] = useState('');
  const [priority, setPriority] = useState<TaskPriority>('normal');
  const staff = useStaff();
  // The signed-in user is the default; UNASSIGNED leaves the task for anyone to pick up.
  const [assignee, setAssignee] = useState<string>(user.id);
  const people = [
    { value: user.id, label: 'Me' },
    ...(staff.status === 'success' ? staff.data.items.filter((s) => s.id !== user.id).map((s) => ({ value: s.id, label: s.displayName })) : []),
    { value: UNASSIGNED, label: 'Unassigned' },
  ];
  const save = useAction(createTask);
  const errors = fieldErrorsOf(save.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const dueAt = localToInstant(due);
    const task = await save.run({
      title: title.trim(),
      priority,
      ...(description.trim() ? { description: description.trim() } : {}),
      ...(dueAt ? { dueAt } : {}),
      ...(patientId ? { patientId } : {}),
      ...(assignee !== UNASSIGNED ? { assigneeId: assignee } : {}),
    });
    if (task) {
      setTitle('');
      setDescription('');
      setDue('');
      setPriority('normal');
      onCreated(task);
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)}>
      <Stack gap="xs">
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <TextInput
            label="Task"
            placeholder="e.g. Call back about test results"
            value={title}
            onChange={(event) => setTitle(event.currentTarget.value)}
            error={errorAt(errors, 'title')}
          />
          <TextInput
            type="datetime-local"
            label="Due"
            value={due}
            onChange={(event) => setDue(event.currentTarget.value)}
            error={errorAt(errors, 'dueAt')}
          />
          <Select
            label="Priority"
            data={PRIORITIES}
            value={priority}
            allowDeselect={false}
            onChange={(value) => value && setPriority(value as TaskPriority)}
          />
        </SimpleGrid>
        <Textarea
          label="Details"
          autosize
          minRows={1}
          maxRows={6}
          value={description}
          onChange={(event) => setDescription(event.currentTarget.value)}
          error={errorAt(errors, 'description')}
        />
        {save.error !== null && errors.size === 0 && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(save.error)}
          </Text>
        )}
        <Group justify="space-between" align="flex-end">
          <Select
            label="Assign to"
            data={people}
            value={assignee}
            allowDeselect={false}
            onChange={(value) => setAssignee(value ?? UNASSIGNED)}
            error={errorAt(errors, 'assigneeId')}
            w={220}
          />
          <Button type="submit" leftSection={<IconPlus size={16} aria-hidden />} loading={save.pending} disabled={!title.trim()}>
            Add task
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
