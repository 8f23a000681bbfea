import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Button, Code, Group, Loader, Radio, Stack, Text, Title } from '@mantine/core';
import { IconCalendarPlus, IconCircleCheck, IconSettings } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { bookOnline, fetchCatalog, type Booked, type BookingDetails, type Catalog, type CatalogService, type PublicSlot } from './api.ts';
import { DetailsForm } from './DetailsForm.tsx';
import { SlotPicker } from './SlotPicker.tsx';
import { Centered, PublicFrame, VisitSummary } from './VisitSummary.tsx';

const ANY = 'any';

function price(service: CatalogService): string | null {
  if (!service.price) return null;
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: service.price.currency }).format(service.price.cents / 100);
}

function serviceLine(service: CatalogService): string {
  const parts = [`${service.durationMinutes} min`, service.mode === 'video' ? 'video call' : 'in person'];
  const cost = price(service);
  if (cost) parts.push(cost);
  if (service.eligibility === 'new') parts.push('new patients');
  if (service.eligibility === 'established') parts.push('existing patients');
  return parts.join(' · ');
}

/** The public booking page of one clinic: service, practitioner, time, details, confirmation. */
export function BookingPage({ slug }: { slug: string }) {
  const load = useCallback((signal: AbortSignal) => fetchCatalog(slug, signal), [slug]);
  const catalog = useApiQuery(load);
  const clinicName = catalog.status === 'success' ? catalog.data.clinic.name : null;

  useEffect(() => {
    document.title = clinicName ? `Book with ${clinicName}` : 'Online booking';
  }, [clinicName]);

  return (
    <PublicFrame clinicName={clinicName}>
      {catalog.status === 'loading' && (
        <Centered>
          <Loader color="teal" aria-label="Loading the booking page" />
        </Centered>
      )}
      {catalog.status === 'error' && (
        <Alert color="red" role="alert" title={catalog.error instanceof ApiError && catalog.error.status === 404 ? 'Booking page not found' : 'Something went wrong'}>
          {catalog.error instanceof ApiError && catalog.error.status === 404
            ? 'This clinic does not take bookings online here. Please check the address, or contact the clinic.'
            : errorMessage(catalog.error)}
        </Alert>
      )}
      {catalog.status === 'success' && <BookingFlow slug={slug} catalog={catalog.data} />}
    </PublicFrame>
  );
}

function BookingFlow({ slug, catalog }: { slug: string; catalog: Catalog }) {
  const [serviceId, setServiceId] = useState<string | null>(catalog.services.length === 1 ? catalog.services[0]!.id : null);
  const [practitioner, setPractitioner] = useState<string>(ANY);
  const [locationId, setLocationId] = useState<string | null>(null);
  const [slot, setSlot] = useState<{ slot: PublicSlot; who: string } | null>(null);
  const [booked, setBooked] = useState<Booked | null>(null);
  const book = useAction(bookOnline);

  const service = catalog.services.find((s) => s.id === serviceId) ?? null;
  const practitioners = catalog.practitioners.filter((p) => service?.practitionerIds.includes(p.id));
  const locations = catalog.locations.filter((l) => service?.locationIds.includes(l.id));
  const location = locations.length === 1 ? locations[0]! : (locations.find((l) => l.id === locationId) ?? null);
  const zone = location?.timeZone ?? catalog.clinic.timeZone;

  const choose = (reset: () => void) => {
    reset();
    setSlot(null);
    book.reset();
  };

  async function submit(details: BookingDetails) {
    if (!service || !slot) return;
    const result = await book.run(slug, {
      serviceId: service.id,
      practitionerId: slot.slot.practitionerId,
      locationId: slot.slot.locationId,
      startsAt: slot.slot.startsAt,
      ...details,
    });
    if (result) {
      setBooked(result);
      window.scrollTo(0, 0);
    }
  }

  if (booked) return <Confirmation booked={booked} clinicName={catalog.clinic.name} />;
  if (catalog.services.length === 0) {
    return <Text>{catalog.clinic.name} has no services open to online booking right now. Please contact the clinic.</Text>;
  }

  return (
    <Stack gap="xl">
      <Title order={1} fz="h2">
        Book an appointment
      </Title>
      <Radio.Group label="1. What would you like to book?" value={serviceId} onChange={(v) => choose(() => { setServiceId(v); setPractitioner(ANY); setLocationId(null); })}>
        <Stack gap="xs" mt="xs">
          {catalog.services.map((s) => (
            <Radio key={s.id} value={s.id} label={s.name} description={[serviceLine(s), s.description].filter(Boolean).join(' — ')} />
          ))}
        </Stack>
      </Radio.Group>

      {service && (
        <Radio.Group label="2. Who would you like to see?" value={practitioner} onChange={(v) => choose(() => setPractitioner(v))}>
          <Stack gap="xs" mt="xs">
            <Radio value={ANY} label="Any available practitioner" />
            {practitioners.map((p) => (
              <Radio key={p.id} value={p.id} label={p.name} description={p.specialty ?? undefined} />
            ))}
          </Stack>
        </Radio.Group>
      )}

      {service && locations.length > 1 && (
        <Radio.Group label="Where?" value={locationId} onChange={(v) => choose(() => setLocationId(v))}>
          <Stack gap="xs" mt="xs">
            {locations.map((l) => (
              <Radio key={l.id} value={l.id} label={l.name} description={l.address ?? undefined} />
            ))}
          </Stack>
        </Radio.Group>
      )}

      {service && (locations.length <= 1 || location) && (
        <Stack gap="xs" component="section" aria-label="Choose a time">
          <Text fw={500} fz="sm">
            3. Choose a day and time
          </Text>
          <SlotPicker
            key={`${service.id}|${practitioner}|${location?.id ?? ''}`}
            slug={slug}
            serviceId={service.id}
            practitionerId={practitioner === ANY ? null : practitioner}
            locationId={location?.id ?? null}
            zone={zone}
            chosen={slot?.slot ?? null}
            onChoose={(s, who) => {
              setSlot({ slot: s, who });
              book.reset();
            }}
          />
        </Stack>
      )}

      {service && slot && (
        <Stack gap="sm" component="section" aria-label="Your details">
          <Text fw={500} fz="sm">
            4. Your details
          </Text>
          <Text fz="sm" c="dimmed">
            {service.name} with {slot.who}. If you have been to {catalog.clinic.name} before, use the phone or email the clinic has for you.
          </Text>
          <DetailsForm submitting={book.pending} error={book.error} onSubmit={(d) => void submit(d)} />
        </Stack>
      )}
    </Stack>
  );
}

function Confirmation({ booked, clinicName }: { booked: Booked; clinicName: string }) {
  const manageHref = new URL(booked.manageUrl, window.location.origin).toString();
  return (
    <Stack gap="lg">
      <Group gap="sm">
        <IconCircleCheck size={32} color="var(--mantine-color-teal-7)" aria-hidden />
        <Title order={1} fz="h2">
          You are booked
        </Title>
      </Group>
      <Text>{clinicName} has your appointment. We look forward to seeing you.</Text>
      <VisitSummary appointment={booked.appointment} />
      <Group>
        <Button component="a" href={booked.icsUrl} download="appointment.ics" variant="light" leftSection={<IconCalendarPlus size={18} aria-hidden />}>
          Add to calendar (.ics)
        </Button>
        <Button component="a" href={booked.manageUrl} variant="default" leftSection={<IconSettings size={18} aria-hidden />}>
          Manage your booking
        </Button>
      </Group>
      <Stack gap={4}>
        <Text fz="sm">
          Keep this link: it lets you confirm, cancel or change this appointment, without an account.
        </Text>
        <Code block style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          <Anchor href={booked.manageUrl}>{manageHref}</Anchor>
        </Code>
      </Stack>
    </Stack>
  );
}
