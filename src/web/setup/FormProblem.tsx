import { Alert, List } from '@mantine/core';
import { errorMessage } from '../api/client.ts';
import { fieldErrorsOf, sentence, unclaimedErrors } from '../common/fieldErrors.ts';

/** A failed save: the server's message, with any field problems no input on the form shows. */
export function FormProblem({ error, claimed }: { error: unknown; claimed: readonly string[] }) {
  if (error === null || error === undefined) return null;
  const errors = fieldErrorsOf(error);
  const rest = unclaimedErrors(errors, claimed);
  if (errors.size > 0 && rest.length === 0) return null;
  return (
    <Alert color="red" variant="light" title="Not saved">
      {rest.length === 0 ? (
        errorMessage(error)
      ) : (
        <List size="sm">
          {rest.map((p) => (
            <List.Item key={p.path}>
              {p.path}: {sentence(p.message)}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
