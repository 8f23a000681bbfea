import { ActionIcon, Button, Group, Menu, Paper, Stack, Text } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { sentence, type FieldErrors } from '../common/fieldErrors.ts';
import type { Step } from './api.ts';
import { StepFields, FIELDS_OF } from './StepFields.tsx';
import type { JourneyCatalog } from './useJourneyCatalog.ts';
import { newStep, STEP_TYPES } from './words.ts';

interface StepListProps {
  steps: Step[];
  onChange: (steps: Step[]) => void;
  /** Where these steps sit in the request body ("steps", "steps.2.then"), so the server's problems land on them. */
  path: string;
  errors: FieldErrors;
  catalog: JourneyCatalog;
  /** How the steps are named to screen readers ("Step 2", "Then 1"). */
  label: string;
  depth?: number;
}

/** Problems the server named at this step that none of its inputs shows (a zero wait, an unknown field). */
function looseProblems(errors: FieldErrors, path: string, claimed: readonly string[]): string[] {
  const problems: string[] = [];
  for (const [key, message] of errors) {
    if (key === path) problems.push(sentence(message));
    else if (key.startsWith(`${path}.`)) {
      const rest = key.slice(path.length + 1);
      if (rest.startsWith('then.') || rest.startsWith('else.')) continue;
      if (!claimed.some((c) => rest === c || rest.startsWith(`${c}.`))) problems.push(`${rest}: ${sentence(message)}`);
    }
  }
  return problems;
}

/** An ordered list of steps: add, change, move and remove them; a branch holds two more lists. */
export function StepList({ steps, onChange, path, errors, catalog, label, depth = 0 }: StepListProps) {
  const replace = (i: number, step: Step) => onChange(steps.map((s, j) => (j === i ? step : s)));
  const move = (i: number, by: -1 | 1) => {
    const next = [...steps];
    [next[i], next[i + by]] = [next[i + by]!, next[i]!];
    onChange(next);
  };
  const firstTemplate = catalog.templates.find((g) => g.templates.some((t) => t.channel === 'sms'))?.key ?? '';

  return (
    <Stack gap="xs">
      {steps.map((step, i) => {
        const at = `${path}.${i}`;
        const name = `${label} ${i + 1}`;
        const problems = looseProblems(errors, at, FIELDS_OF[step.type]);
        return (
          <Paper key={i} withBorder radius="md" p="sm" bg={depth % 2 ? 'var(--mantine-color-gray-0)' : undefined} aria-label={name} component="section">
            <Group justify="space-between" mb={6} wrap="nowrap">
              <Text fz="sm" fw={600}>
                {name}: {STEP_TYPES.find((t) => t.value === step.type)?.label}
              </Text>
              <Group gap={4} wrap="nowrap">
                <ActionIcon variant="subtle" color="gray" aria-label={`Move ${name} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  <IconArrowUp size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon variant="subtle" color="gray" aria-label={`Move ${name} down`} disabled={i === steps.length - 1} onClick={() => move(i, 1)}>
                  <IconArrowDown size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon variant="subtle" color="red" aria-label={`Remove ${name}`} onClick={() => onChange(steps.filter((_, j) => j !== i))}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            </Group>
            {problems.map((p) => (
              <Text key={p} c="red" fz="sm" mb={4} role="alert">
                {p}
              </Text>
            ))}
            <StepFields step={step} onChange={(s) => replace(i, s)} path={at} errors={errors} catalog={catalog} />
            {step.type === 'branch' && (
              <Stack gap="xs" mt="sm" pl="md" style={{ borderLeft: '2px solid var(--mantine-color-gray-3)' }}>
                <Text fz="xs" fw={600} c="dimmed" tt="uppercase">Then</Text>
                <StepList steps={step.then} onChange={(then) => replace(i, { ...step, then })} path={`${at}.then`} errors={errors} catalog={catalog} label={`${name} then`} depth={depth + 1} />
                <Text fz="xs" fw={600} c="dimmed" tt="uppercase">Otherwise</Text>
                <StepList steps={step.else} onChange={(otherwise) => replace(i, { ...step, else: otherwise })} path={`${at}.else`} errors={errors} catalog={catalog} label={`${name} otherwise`} depth={depth + 1} />
              </Stack>
            )}
          </Paper>
        );
      })}
      <Menu position="bottom-start" withinPortal={false}>
        <Menu.Target>
          <Button variant="light" size="xs" leftSection={<IconPlus size={14} aria-hidden />} style={{ alignSelf: 'flex-start' }}>
            {depth === 0 ? 'Add step' : `Add to ${label.toLowerCase()}`}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {STEP_TYPES.map((t) => (
            <Menu.Item key={t.value} onClick={() => onChange([...steps, newStep(t.value, firstTemplate)])}>
              {t.label}
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
    </Stack>
  );
}
