import { Autocomplete, Checkbox, Group, NumberInput, Select, SimpleGrid, Stack, TextInput, Textarea } from '@mantine/core';
import { mayBeUrgent } from '../../modules/messaging/types.ts';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import type { Channel, Condition, Purpose, Step } from './api.ts';
import type { JourneyCatalog } from './useJourneyCatalog.ts';
import { CHANNELS, channelName, CONDITION_FIELDS, OPS, PURPOSES } from './words.ts';

/** The inputs of each step type, by the names the server uses for them (so its problems land on the right one). */
export const FIELDS_OF: Record<Step['type'], readonly string[]> = {
  wait: ['days', 'hours', 'minutes'],
  send: ['channel', 'template', 'purpose', 'urgent'],
  task: ['title', 'description', 'dueInDays', 'priority', 'assigneeId'],
  branch: ['if'],
  update_field: ['field', 'value'],
  add_tag: ['tag'],
};

type Kind = 'boolean' | 'number' | 'text' | 'date' | 'choice';

const LIFECYCLE = ['lead', 'active', 'inactive', 'deceased'];
const PREFERRED = ['sms', 'email', 'phone', 'portal', 'mail'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

const num = (v: number | string): number | undefined => (typeof v === 'number' ? v : undefined);

interface StepFieldsProps {
  step: Step;
  onChange: (step: Step) => void;
  path: string;
  errors: FieldErrors;
  catalog: JourneyCatalog;
}

export function StepFields({ step, onChange, path, errors, catalog }: StepFieldsProps) {
  const err = (field: string) => errorAt(errors, `${path}.${field}`);
  switch (step.type) {
    case 'wait':
      return (
        <SimpleGrid cols={3} spacing="xs">
          <NumberInput label="Days" min={0} max={3650} value={step.days ?? ''} onChange={(v) => onChange({ ...step, days: num(v) })} error={err('days')} />
          <NumberInput label="Hours" min={0} max={8760} value={step.hours ?? ''} onChange={(v) => onChange({ ...step, hours: num(v) })} error={err('hours')} />
          <NumberInput label="Minutes" min={0} max={525600} value={step.minutes ?? ''} onChange={(v) => onChange({ ...step, minutes: num(v) })} error={err('minutes')} />
        </SimpleGrid>
      );
    case 'send':
      return <SendFields step={step} onChange={onChange} err={err} catalog={catalog} />;
    case 'task':
      return <TaskFields step={step} onChange={onChange} err={err} catalog={catalog} />;
    case 'branch':
      return <ConditionFields condition={step.if} onChange={(c) => onChange({ ...step, if: c })} path={`${path}.if`} errors={errors} catalog={catalog} />;
    case 'update_field': {
      const fields = [
        { value: 'patient.lifecycleStatus', label: 'Patient status' },
        { value: 'patient.preferredChannel', label: 'Preferred channel' },
        ...catalog.customFields.map((f) => ({ value: `custom.${f.key}`, label: f.label })),
      ];
      return (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <Select label="Field" allowDeselect={false} searchable data={fields} value={step.field} onChange={(v) => onChange({ ...step, field: v ?? step.field, value: null })} error={err('field')} />
          <ValueInput label="New value" field={step.field} catalog={catalog} value={step.value} onChange={(value) => onChange({ ...step, value })} error={err('value')} clearable />
        </SimpleGrid>
      );
    }
    case 'add_tag':
      return <Autocomplete label="Tag" data={catalog.tags} value={step.tag} onChange={(tag) => onChange({ ...step, tag })} error={err('tag')} />;
  }
}

type FieldsOf<T extends Step['type']> = { step: Extract<Step, { type: T }>; onChange: (step: Step) => void; err: (field: string) => string | undefined; catalog: JourneyCatalog };

function SendFields({ step, onChange, err, catalog }: FieldsOf<'send'>) {
  const group = catalog.templates.find((g) => g.key === step.template);
  const missing = group && !group.templates.some((t) => t.channel === step.channel);
  return (
    <Stack gap="xs">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
        <Select label="Channel" allowDeselect={false} data={CHANNELS} value={step.channel} onChange={(v) => onChange({ ...step, channel: (v ?? 'sms') as Channel })} error={err('channel')} />
        <Select
          label="Template"
          searchable
          allowDeselect={false}
          data={catalog.templates.map((g) => ({ value: g.key, label: `${g.name} (${g.key})` }))}
          value={step.template || null}
          onChange={(v) => onChange({ ...step, template: v ?? '' })}
          error={err('template') ?? (missing ? `No ${channelName(step.channel)} version of this template yet` : undefined)}
        />
        <Select
          label="Purpose"
          allowDeselect={false}
          data={PURPOSES}
          value={step.purpose}
          onChange={(v) => {
            const purpose = (v ?? 'care') as Purpose;
            // Only care may be urgent: leaving care drops the mark rather than saving a step the server refuses.
            onChange({ ...step, purpose, urgent: mayBeUrgent(purpose) ? step.urgent : undefined });
          }}
          error={err('purpose')}
        />
      </SimpleGrid>
      {(mayBeUrgent(step.purpose) || step.urgent) && (
        <Checkbox
          label="Urgent: may go in quiet hours and past frequency limits"
          checked={step.urgent ?? false}
          onChange={(e) => onChange({ ...step, urgent: e.currentTarget.checked || undefined })}
          error={err('urgent')}
        />
      )}
    </Stack>
  );
}

function TaskFields({ step, onChange, err, catalog }: FieldsOf<'task'>) {
  return (
    <Stack gap="xs">
      <TextInput label="Task title" required value={step.title} onChange={(e) => onChange({ ...step, title: e.currentTarget.value })} error={err('title')} />
      <Textarea label="Description" autosize minRows={1} value={step.description ?? ''} onChange={(e) => onChange({ ...step, description: e.currentTarget.value || undefined })} error={err('description')} />
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
        <NumberInput label="Due in days" min={0} max={365} value={step.dueInDays ?? ''} onChange={(v) => onChange({ ...step, dueInDays: num(v) })} error={err('dueInDays')} />
        <Select label="Priority" data={PRIORITIES} value={step.priority ?? 'normal'} onChange={(v) => onChange({ ...step, priority: (v ?? undefined) as typeof step.priority })} error={err('priority')} />
        <Select
          label="Assign to"
          clearable
          placeholder="Nobody in particular"
          data={catalog.staff.map((s) => ({ value: s.id, label: s.displayName }))}
          value={step.assigneeId ?? null}
          onChange={(v) => onChange({ ...step, assigneeId: v ?? undefined })}
          error={err('assigneeId')}
        />
      </SimpleGrid>
    </Stack>
  );
}

function kindOf(field: string, catalog: JourneyCatalog): { kind: Kind; choices?: string[] } {
  const known = CONDITION_FIELDS.find((f) => f.value === field);
  if (known) return { kind: known.kind };
  if (field === 'patient.lifecycleStatus') return { kind: 'choice', choices: LIFECYCLE };
  if (field === 'patient.preferredChannel') return { kind: 'choice', choices: PREFERRED };
  const custom = catalog.customFields.find((f) => `custom.${f.key}` === field);
  if (!custom) return { kind: 'text' };
  return custom.type === 'choice' ? { kind: 'choice', choices: custom.choices ?? [] } : { kind: custom.type };
}

interface ValueInputProps {
  label: string;
  field: string;
  catalog: JourneyCatalog;
  value: string | number | boolean | null | undefined;
  onChange: (value: string | number | null) => void;
  error: string | undefined;
  clearable?: boolean;
}

function ValueInput({ label, field, catalog, value, onChange, error, clearable }: ValueInputProps) {
  const { kind, choices } = field === 'patient.lifecycleStatus' ? { kind: 'choice' as const, choices: LIFECYCLE } : kindOf(field, catalog);
  if (kind === 'number') return <NumberInput label={label} value={typeof value === 'number' ? value : ''} onChange={(v) => onChange(num(v) ?? null)} error={error} />;
  if (kind === 'choice') {
    return <Select label={label} data={choices ?? []} clearable={clearable} value={value === null || value === undefined ? null : String(value)} onChange={(v) => onChange(v)} error={error} />;
  }
  return <TextInput label={label} type={kind === 'date' ? 'date' : 'text'} value={value === null || value === undefined ? '' : String(value)} onChange={(e) => onChange(e.currentTarget.value)} error={error} />;
}

function ConditionFields({ condition, onChange, path, errors, catalog }: { condition: Condition; onChange: (c: Condition) => void; path: string; errors: FieldErrors; catalog: JourneyCatalog }) {
  const fields = [...CONDITION_FIELDS.map((f) => ({ value: f.value, label: f.label })), ...catalog.customFields.map((f) => ({ value: `custom.${f.key}`, label: f.label }))];
  const { kind } = kindOf(condition.field, catalog);
  const ops = OPS.filter((o) => o.kinds.includes(kind) || (kind === 'text' && o.value === 'eq'));
  const needsValue = condition.op !== 'is_true' && condition.op !== 'is_false';
  return (
    <Group grow align="flex-start" gap="xs">
      <Select
        label="If"
        searchable
        allowDeselect={false}
        data={fields}
        value={condition.field}
        onChange={(v) => {
          const next = kindOf(v ?? condition.field, catalog).kind;
          onChange({ field: v ?? condition.field, op: next === 'boolean' ? 'is_true' : 'eq' });
        }}
        error={errorAt(errors, `${path}.field`)}
      />
      <Select label="Is" allowDeselect={false} data={ops.map((o) => ({ value: o.value, label: o.label }))} value={condition.op} onChange={(v) => onChange({ ...condition, op: (v ?? 'eq') as Condition['op'] })} error={errorAt(errors, `${path}.op`)} />
      {needsValue && (
        <ValueInput label="Value" field={condition.field} catalog={catalog} value={condition.value} onChange={(value) => onChange({ ...condition, value: value ?? undefined })} error={errorAt(errors, `${path}.value`)} />
      )}
    </Group>
  );
}
