import type { ReactNode } from 'react';
import { Anchor, Divider, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconClock, IconLanguage, IconMail, IconMessageCircle, IconPhone, IconWorld } from '@tabler/icons-react';
import type { PatientRecord } from '../api/patients.ts';
import { channelLabel, formatInstant, formatPhone, languageName } from '../patients/format.ts';
import { HouseholdLinks } from './HouseholdLinks.tsx';

function Block({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap={6}>
      <Text fz="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: 0.5 }}>
        {title}
      </Text>
      {children}
    </Stack>
  );
}

function Line({ icon, children, label }: { icon?: ReactNode; children: ReactNode; label?: string }) {
  return (
    <Group gap={8} wrap="nowrap" align="flex-start">
      {icon && (
        <Text c="dimmed" mt={2} lh={1} aria-hidden>
          {icon}
        </Text>
      )}
      <Text fz="sm" aria-label={label}>
        {children}
      </Text>
    </Group>
  );
}

const None = ({ children }: { children: ReactNode }) => (
  <Text fz="sm" c="dimmed">
    {children}
  </Text>
);

const USE_LABEL: Record<string, string> = { mobile: 'mobile', home: 'home', work: 'work', other: 'other' };

function Contact({ patient }: { patient: PatientRecord }) {
  if (patient.phones.length === 0 && patient.emails.length === 0) return <None>No phone or email on file</None>;
  return (
    <>
      {patient.phones.map((p) => (
        <Line key={p.value} icon={<IconPhone size={14} />}>
          <Anchor href={`tel:${p.value}`} fz="sm" c="inherit">
            {formatPhone(p.value)}
          </Anchor>{' '}
          <Text span c="dimmed" fz="xs">
            {USE_LABEL[p.use] ?? p.use}
          </Text>
        </Line>
      ))}
      {patient.emails.map((e) => (
        <Line key={e.value} icon={<IconMail size={14} />}>
          <Anchor href={`mailto:${e.value}`} fz="sm" c="inherit" style={{ overflowWrap: 'anywhere' }}>
            {e.value}
          </Anchor>{' '}
          <Text span c="dimmed" fz="xs">
            {USE_LABEL[e.use] ?? e.use}
          </Text>
        </Line>
      ))}
      {(patient.address.line || patient.address.city) && (
        <Text fz="sm" c="gray.8">
          {[patient.address.line, [patient.address.city, patient.address.region].filter(Boolean).join(', '), patient.address.postalCode, patient.address.country]
            .filter(Boolean)
            .join(' · ')}
        </Text>
      )}
    </>
  );
}

function Preferences({ patient }: { patient: PatientRecord }) {
  return (
    <>
      <Line icon={<IconMessageCircle size={14} />}>
        {patient.preferredChannel ? `Prefers ${channelLabel(patient.preferredChannel).toLowerCase()}` : 'No preferred channel'}
      </Line>
      <Line icon={<IconClock size={14} />}>
        {patient.quietHours
          ? `Quiet hours ${patient.quietHours.start.slice(0, 5)}–${patient.quietHours.end.slice(0, 5)}`
          : 'No quiet hours set'}
      </Line>
      <Line icon={<IconLanguage size={14} />}>{patient.language ? languageName(patient.language) : 'Language not recorded'}</Line>
      <Line icon={<IconWorld size={14} />}>{patient.timeZone ?? 'Clinic time zone'}</Line>
    </>
  );
}

function Source({ patient }: { patient: PatientRecord }) {
  const s = patient.source;
  const utm = [s.utmSource, s.utmMedium, s.utmCampaign].filter(Boolean).join(' / ');
  return (
    <>
      {s.channel || s.campaign || s.referrer || utm ? (
        <Stack gap={2}>
          {s.channel && <Text fz="sm">Came through {s.channel}</Text>}
          {s.campaign && <Text fz="sm">Campaign: {s.campaign}</Text>}
          {s.referrer && <Text fz="sm">Referred by {s.referrer}</Text>}
          {utm && (
            <Text fz="xs" c="dimmed">
              UTM {utm}
            </Text>
          )}
        </Stack>
      ) : (
        <None>Source not recorded</None>
      )}
      <Divider my={4} />
      <Text fz="sm">Last visit: {patient.lastVisitAt ? formatInstant(patient.lastVisitAt) : 'never'}</Text>
      <Text fz="sm">Next appointment: {patient.nextAppointmentAt ? formatInstant(patient.nextAppointmentAt) : 'none booked'}</Text>
    </>
  );
}

/** Contact points, communication preferences, household and acquisition, side by side. */
export function PatientFacts({ patient, onStale }: { patient: PatientRecord; onStale: () => void }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="lg" mt="lg" pt="md" style={{ borderTop: '1px solid var(--mantine-color-gray-2)' }}>
      <Block title="Contact">
        <Contact patient={patient} />
      </Block>
      <Block title="Communication">
        <Preferences patient={patient} />
      </Block>
      <Block title="Household">
        <HouseholdLinks patient={patient} onChanged={onStale} />
      </Block>
      <Block title="Source and visits">
        <Source patient={patient} />
      </Block>
    </SimpleGrid>
  );
}
