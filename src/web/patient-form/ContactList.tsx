import { ActionIcon, Button, Group, Select, Stack, TextInput } from '@mantine/core';
import { IconPlus, IconX } from '@tabler/icons-react';
import type { ContactUse } from '../api/patients.ts';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import { CONTACT_USE_OPTIONS } from './options.ts';
import type { ContactRow } from './values.ts';

interface ContactListProps {
  /** "Phone" or "Email": labels the inputs ("Phone", "Phone 2" ...). */
  noun: 'Phone' | 'Email';
  /** Where the API reports problems: "phones" or "emails". */
  path: 'phones' | 'emails';
  rows: ContactRow[];
  errors: FieldErrors;
  onChange: (rows: ContactRow[]) => void;
}

const MAX_ROWS = 10;

/** Several phone numbers or email addresses, each with what it is for; the first is the main one. */
export function ContactList({ noun, path, rows, errors, onChange }: ContactListProps) {
  const update = (index: number, patch: Partial<ContactRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  const blank: ContactRow = { value: '', use: noun === 'Phone' ? 'mobile' : 'home' };

  return (
    <Stack gap={6}>
      {rows.map((row, index) => {
        const label = index === 0 ? noun : `${noun} ${index + 1}`;
        return (
          <Group key={index} gap={6} align="flex-start" wrap="nowrap">
            <TextInput
              style={{ flex: 1 }}
              label={label}
              type={noun === 'Email' ? 'email' : 'tel'}
              placeholder={noun === 'Phone' ? '(413) 555-0123' : 'name@example.org'}
              value={row.value}
              onChange={(e) => update(index, { value: e.currentTarget.value })}
              error={errorAt(errors, `${path}.${index}`)}
            />
            <Select
              w={110}
              label="Use"
              aria-label={`${label} use`}
              data={CONTACT_USE_OPTIONS}
              value={row.use}
              allowDeselect={false}
              onChange={(value) => update(index, { use: (value ?? row.use) as ContactUse })}
            />
            <ActionIcon
              variant="subtle"
              color="gray"
              mt={26}
              size="lg"
              aria-label={`Remove ${label.toLowerCase()}`}
              onClick={() => onChange(rows.length > 1 ? rows.filter((_, i) => i !== index) : [blank])}
            >
              <IconX size={16} aria-hidden />
            </ActionIcon>
          </Group>
        );
      })}
      {rows.length < MAX_ROWS && (
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={<IconPlus size={14} aria-hidden />}
          style={{ alignSelf: 'flex-start' }}
          onClick={() => onChange([...rows, blank])}
        >
          Add another {noun.toLowerCase()}
        </Button>
      )}
    </Stack>
  );
}
