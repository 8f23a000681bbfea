import { useCallback, useState } from 'react';
import { Alert, Button, Group, Radio, SimpleGrid, Stack, Text, Textarea, Title } from '@mantine/core';
import { errorMessage } from '../api/client.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { formatDay } from '../schedule/format.ts';
import { answerSurvey, fetchSurvey, type SurveyView } from './api.ts';
import { LinkFrame, LinkLoading, LinkProblem } from './LinkFrame.tsx';

const SCORES = Array.from({ length: 11 }, (_, i) => i);
const COMMENT_LIMIT = 2000;

/** /survey/:token: 0 to 10 and a comment about a visit, once. */
export function SurveyPage({ token }: { token: string }) {
  const load = useCallback((signal: AbortSignal) => fetchSurvey(token, signal), [token]);
  const query = useApiQuery(load);
  const clinicName = query.status === 'success' ? query.data.clinic.name : null;
  return (
    <LinkFrame clinicName={clinicName} title="How was your visit?">
      {query.status === 'loading' && <LinkLoading label="Loading the survey" />}
      {query.status === 'error' && <LinkProblem error={query.error} />}
      {query.status === 'success' && <Survey token={token} view={query.data} onAnswered={query.setData} />}
    </LinkFrame>
  );
}

function Survey({ token, view, onAnswered }: { token: string; view: SurveyView; onAnswered: (view: SurveyView) => void }) {
  const [score, setScore] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const send = useAction(answerSurvey);
  const visit = view.visit;
  const when = formatDay(visit.startsAt, visit.timeZone);

  async function submit() {
    if (score === null) return;
    const next = await send.run(token, Number(score), comment);
    if (next) onAnswered(next);
  }

  return (
    <Stack gap="lg">
      <Stack gap={4}>
        <Title order={1} fz="h2">
          How was your visit?
        </Title>
        <Text c="dimmed">
          {visit.service} with {visit.practitioner} at {visit.location}, {when}
        </Text>
      </Stack>
      {view.answer ? (
        <Alert color="teal" variant="light" role="status" title="Thank you!">
          Your answer ({view.answer.score} out of 10) has reached {view.clinic.name}. It helps us care for you and others better.
        </Alert>
      ) : !view.canAnswer ? (
        <Alert color="blue" variant="light" role="status">
          This survey opens once your visit has taken place.
        </Alert>
      ) : (
        <Stack gap="md" component="form" onSubmit={(e) => (e.preventDefault(), void submit())}>
          <Radio.Group value={score} onChange={setScore} label={view.question} description="0 means not at all likely, 10 extremely likely." required>
            <SimpleGrid cols={{ base: 6, xs: 11 }} spacing={6} mt="sm">
              {SCORES.map((n) => (
                <Radio.Card key={n} value={String(n)} radius="md" withBorder p={0} aria-label={`${n} out of 10`}>
                  <Text ta="center" fw={600} py="sm" c={score === String(n) ? 'teal.9' : undefined} bg={score === String(n) ? 'teal.1' : undefined} style={{ borderRadius: 'inherit' }}>
                    {n}
                  </Text>
                </Radio.Card>
              ))}
            </SimpleGrid>
          </Radio.Group>
          <Textarea
            label="Anything you would like to tell us? (optional)"
            autosize
            minRows={3}
            maxLength={COMMENT_LIMIT}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            description={`${comment.length} of ${COMMENT_LIMIT} characters`}
          />
          {send.error !== null && send.error !== undefined && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(send.error)}
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={send.pending} disabled={score === null}>
              Send my answer
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
