import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Badge, Button, Group, NumberInput, Paper, Popover, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconReceipt } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { ErrorAlert } from '../../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../../common/fieldErrors.ts';
import { useAction } from '../../common/useAction.ts';
import { useApiQuery } from '../../common/useApiQuery.ts';
import { addDays, todayAt } from '../../schedule/format.ts';
import { FormProblem } from '../../setup/FormProblem.tsx';
import { addInvoice, fetchInvoices, recordPayment, settleInvoice, type Invoice, type NewInvoice } from '../api.ts';

const money = (cents: number, currency: string) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
const STATUS_COLOR = { open: 'orange', paid: 'teal', void: 'gray' } as const;

function NewInvoiceForm({ patientId, onAdded }: { patientId: string; onAdded: () => void }) {
  const today = todayAt(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [number, setNumber] = useState('');
  const [amount, setAmount] = useState<number | ''>('');
  const [currency, setCurrency] = useState('USD');
  const [dueOn, setDueOn] = useState(addDays(today, 30));
  const add = useAction((input: NewInvoice) => addInvoice(patientId, input));
  const errors = fieldErrorsOf(add.error);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await add.run({ number: number.trim(), amountCents: amount === '' ? 0 : Math.round(amount * 100), currency: currency.trim().toUpperCase(), dueOn });
    if (saved) {
      notifications.show({ color: 'teal', message: `Invoice ${saved.number} recorded.` });
      onAdded();
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)} noValidate aria-label="New invoice">
      <Stack gap="xs">
        <FormProblem error={add.error} claimed={['number', 'amountCents', 'currency', 'dueOn', 'issuedOn']} />
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
          <TextInput label="Invoice number" required value={number} onChange={(e) => setNumber(e.currentTarget.value)} error={errorAt(errors, 'number')} />
          <NumberInput label="Amount" required min={0} decimalScale={2} value={amount} onChange={(v) => setAmount(typeof v === 'number' ? v : '')} error={errorAt(errors, 'amountCents')} />
          <TextInput label="Currency" value={currency} maxLength={3} onChange={(e) => setCurrency(e.currentTarget.value)} error={errorAt(errors, 'currency')} />
          <TextInput label="Due on" type="date" value={dueOn} onChange={(e) => setDueOn(e.currentTarget.value)} error={errorAt(errors, 'dueOn')} />
        </SimpleGrid>
        <Group justify="flex-end">
          <Button type="submit" loading={add.pending}>Add invoice</Button>
        </Group>
      </Stack>
    </form>
  );
}

function PaymentButton({ invoice, onDone }: { invoice: Invoice; onDone: () => void }) {
  const [opened, setOpened] = useState(false);
  const [amount, setAmount] = useState<number | ''>(invoice.balanceCents / 100);
  const pay = useAction((cents: number) => recordPayment(invoice.id, cents));
  const errors = fieldErrorsOf(pay.error);
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" withinPortal={false} trapFocus>
      <Popover.Target>
        <Button size="xs" variant="light" onClick={() => setOpened((o) => !o)}>Record payment</Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs" w={220}>
          <NumberInput
            label={`Payment on ${invoice.number}`}
            min={0}
            decimalScale={2}
            value={amount}
            onChange={(v) => setAmount(typeof v === 'number' ? v : '')}
            error={errorAt(errors, 'payment.amountCents') ?? (pay.error && errors.size === 0 ? errorMessage(pay.error) : undefined)}
          />
          <Button
            size="xs"
            loading={pay.pending}
            onClick={async () => {
              if (await pay.run(amount === '' ? 0 : Math.round(amount * 100))) {
                setOpened(false);
                onDone();
              }
            }}
          >
            Record
          </Button>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

/** The patient's invoices: add one, record a payment, mark paid or void (billing notices stop once settled). */
export function Invoices({ patientId }: { patientId: string }) {
  const load = useCallback((signal: AbortSignal) => fetchInvoices(patientId, signal), [patientId]);
  const invoices = useApiQuery(load);
  const [adding, setAdding] = useState(false);

  async function settle(invoice: Invoice, status: 'paid' | 'void') {
    if (!window.confirm(status === 'paid' ? `Mark ${invoice.number} paid in full?` : `Void ${invoice.number}?`)) return;
    try {
      await settleInvoice(invoice.id, status);
      notifications.show({ color: 'teal', message: `Invoice ${invoice.number} ${status === 'paid' ? 'marked paid' : 'voided'}.` });
      invoices.refresh();
    } catch (error) {
      notifications.show({ color: 'red', title: 'Not changed', message: errorMessage(error) });
    }
  }

  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label="Invoices">
      <Group justify="space-between" mb="sm">
        <Group gap="xs">
          <IconReceipt size={18} aria-hidden />
          <Title order={3} fz="md">Invoices</Title>
        </Group>
        <Button size="xs" variant={adding ? 'default' : 'light'} onClick={() => setAdding((a) => !a)}>
          {adding ? 'Close' : 'Add invoice'}
        </Button>
      </Group>
      {adding && (
        <Paper withBorder radius="md" p="sm" mb="sm">
          <NewInvoiceForm patientId={patientId} onAdded={() => {
            setAdding(false);
            invoices.refresh();
          }} />
        </Paper>
      )}
      {invoices.status === 'loading' && <Skeleton height={60} />}
      {invoices.status === 'error' && <ErrorAlert title="Invoices could not be loaded" error={invoices.error} onRetry={invoices.reload} />}
      {invoices.status === 'success' && invoices.data.length === 0 && <Text fz="sm" c="dimmed">No invoices.</Text>}
      {invoices.status === 'success' && invoices.data.length > 0 && (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Invoice</Table.Th>
              <Table.Th>Amount</Table.Th>
              <Table.Th>Open</Table.Th>
              <Table.Th>Due</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {invoices.data.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td fz="sm" fw={600}>{i.number}</Table.Td>
                <Table.Td fz="sm">{money(i.amountCents, i.currency)}</Table.Td>
                <Table.Td fz="sm">{money(i.balanceCents, i.currency)}</Table.Td>
                <Table.Td fz="sm">{i.dueOn}</Table.Td>
                <Table.Td><Badge variant="light" color={STATUS_COLOR[i.status]}>{i.status}</Badge></Table.Td>
                <Table.Td>
                  {i.status === 'open' && (
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <PaymentButton invoice={i} onDone={invoices.refresh} />
                      <Button size="xs" variant="subtle" onClick={() => void settle(i, 'paid')}>Mark paid</Button>
                      <Button size="xs" variant="subtle" color="gray" onClick={() => void settle(i, 'void')}>Void</Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
