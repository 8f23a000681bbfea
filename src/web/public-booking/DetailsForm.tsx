import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Box, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { ApiError, errorMessage } from '../api/client.ts';
import type { BookingDetails } from './api.ts';

const EMPTY = { givenName: '', familyName: '', birthDate: '', phone: '', email: '', website: '' };
type Values = typeof EMPTY;

/** The campaign tags of the page that linked here, and where the visitor came from. */
function attribution(): Partial<BookingDetails> {
  const params = new URLSearchParams(window.location.search);
  const out: Partial<BookingDetails> = {};
  const pairs = [
    ['utm_source', 'utmSource'],
    ['utm_medium', 'utmMedium'],
    ['utm_campaign', 'utmCampaign'],
    ['utm_term', 'utmTerm'],
    ['utm_content', 'utmContent'],
  ] as const;
  for (const [param, field] of pairs) {
    const value = params.get(param)?.trim();
    if (value) out[field] = value.slice(0, 200);
  }
  if (document.referrer && !document.referrer.startsWith(window.location.origin)) out.referrer = document.referrer.slice(0, 500);
  return out;
}

interface DetailsFormProps {
  submitting: boolean;
  error: unknown;
  onSubmit: (details: BookingDetails) => void;
}

/** Who the visit is for. The hidden "website" field is a trap for bots; people never see it. */
export function DetailsForm({ submitting, error, onSubmit }: DetailsFormProps) {
  const [values, setValues] = useState<Values>(EMPTY);
  const [missingContact, setMissingContact] = useState(false);
  const set = (field: keyof Values) => (event: { currentTarget: { value: string } }) => {
    const value = event.currentTarget.value;
    setValues((v) => ({ ...v, [field]: value }));
  };
  const fieldError = (path: string) =>
    error instanceof ApiError ? error.fields.find((f) => f.path === path)?.message : undefined;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const phone = values.phone.trim();
    const email = values.email.trim();
    if (!phone && !email) {
      setMissingContact(true);
      return;
    }
    setMissingContact(false);
    onSubmit({
      givenName: values.givenName.trim(),
      familyName: values.familyName.trim(),
      birthDate: values.birthDate,
      ...(phone ? { phone } : {}),
      ...(email ? { email } : {}),
      ...(values.website ? { website: values.website } : {}),
      ...attribution(),
    });
  }

  return (
    <form onSubmit={submit} aria-label="Your details">
      <Stack gap="sm">
        {error !== null && (
          <Alert color="red" variant="light" role="alert" title="We could not book this time">
            {errorMessage(error)}
          </Alert>
        )}
        <Group grow align="flex-start">
          <TextInput label="First name" required maxLength={100} autoComplete="given-name" value={values.givenName} onChange={set('givenName')} error={fieldError('givenName')} />
          <TextInput label="Last name" required maxLength={100} autoComplete="family-name" value={values.familyName} onChange={set('familyName')} error={fieldError('familyName')} />
        </Group>
        <TextInput label="Date of birth" type="date" required autoComplete="bday" value={values.birthDate} onChange={set('birthDate')} error={fieldError('birthDate')} />
        <Group grow align="flex-start">
          <TextInput label="Mobile phone" type="tel" maxLength={40} autoComplete="tel" value={values.phone} onChange={set('phone')} error={fieldError('phone')} />
          <TextInput label="Email" type="email" maxLength={320} autoComplete="email" value={values.email} onChange={set('email')} error={fieldError('email')} />
        </Group>
        <Text fz="sm" c={missingContact ? 'red' : 'dimmed'} role={missingContact ? 'alert' : undefined}>
          Give a phone number or an email (or both), so the clinic can reach you.
        </Text>
        <Box aria-hidden="true" style={{ position: 'absolute', left: '-10000px', width: 1, height: 1, overflow: 'hidden' }}>
          <label htmlFor="booking-website">Leave this empty</label>
          <input id="booking-website" name="website" tabIndex={-1} autoComplete="off" value={values.website} onChange={set('website')} />
        </Box>
        <Button type="submit" loading={submitting} size="md">
          Book appointment
        </Button>
      </Stack>
    </form>
  );
}
