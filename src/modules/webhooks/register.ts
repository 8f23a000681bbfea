import type { AppointmentAction } from '../../server/db/types.ts';
import { onAppointmentEvent, type AppointmentListener } from '../scheduling/booking.ts';
import { emitWebhookEventWhenWanted, type WebhookEventType } from './events.ts';

const TYPE_OF: Record<AppointmentAction, WebhookEventType> = {
  booked: 'appointment.booked',
  rescheduled: 'appointment.rescheduled',
  cancelled: 'appointment.cancelled',
  confirmed: 'appointment.status_changed',
  checked_in: 'appointment.status_changed',
  noshow: 'appointment.status_changed',
  completed: 'appointment.status_changed',
};

/** Every appointment change becomes an event, in the transaction that makes it (no notes, no reason text). */
const appointmentListener: AppointmentListener = async (scope, event, now) => {
  await emitWebhookEventWhenWanted(scope, {
    type: TYPE_OF[event.action],
    occurredAt: now,
    data: async () => {
      const a = await scope.tx
        .selectFrom('appointment')
        .select(['status', 'ends_at', 'practitioner_id', 'location_id', 'service_id'])
        .where('id', '=', event.appointmentId)
        .executeTakeFirst();
      return {
        appointmentId: event.appointmentId,
        patientId: event.patientId,
        action: event.action,
        status: a?.status ?? (event.action === 'cancelled' ? 'cancelled' : 'booked'),
        startsAt: event.startsAt.toISOString(),
        endsAt: a ? new Date(a.ends_at).toISOString() : null,
        previousStartsAt: event.previousStartsAt ? event.previousStartsAt.toISOString() : null,
        practitionerId: a?.practitioner_id ?? null,
        locationId: a?.location_id ?? null,
        serviceId: a?.service_id ?? null,
        via: event.via,
      };
    },
  });
};

/**
 * Hooks webhooks onto appointment changes, inside the transactions that make them. Called by the
 * app (web role) and at start for every role (workers' jobs, the HL7 listener). Safe to call repeatedly.
 */
export function registerWebhookEvents(): void {
  onAppointmentEvent(appointmentListener);
}
