import { useRef, useState } from 'react';
import { Alert, Button, Group, Text, Textarea } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { MAX_REPLY, sendReply, type ThreadItem } from './api.ts';
import { newReplyKey } from './format.ts';

/**
 * Where staff write back. Enter sends (Shift+Enter for a new line); while it is sending the box is
 * locked, and a failure keeps the text so nothing typed is lost. One key per reply: sending the
 * same text again after a lost answer does not text twice.
 */
export function ReplyBox({ conversationId, disabled, onSent }: { conversationId: string; disabled: string | null; onSent: (item: ThreadItem) => void }) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const key = useRef(newReplyKey());
  const trimmed = text.trim();
  const tooLong = trimmed.length > MAX_REPLY;

  async function send() {
    if (!trimmed || tooLong || sending || disabled) return;
    setSending(true);
    setError(null);
    try {
      const item = await sendReply(conversationId, trimmed, key.current);
      key.current = newReplyKey();
      setText('');
      onSent(item);
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  }

  if (disabled) {
    return (
      <Alert color="orange" variant="light" title="Replies are off">
        {disabled}
      </Alert>
    );
  }
  return (
    <form
      aria-label="Reply"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {Boolean(error) && (
        <Alert color="red" variant="light" mb="xs" role="alert">
          {errorMessage(error)}
        </Alert>
      )}
      <Textarea
        label="Reply by text message"
        placeholder="Write a reply…  (Enter sends, Shift+Enter for a new line)"
        autosize
        minRows={2}
        maxRows={8}
        value={text}
        readOnly={sending}
        error={tooLong ? `At most ${MAX_REPLY} characters` : undefined}
        onChange={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            void send();
          }
        }}
      />
      <Group justify="space-between" mt="xs">
        <Text fz="xs" c={tooLong ? 'red' : 'dimmed'}>
          {trimmed.length}/{MAX_REPLY}
        </Text>
        <Button type="submit" size="sm" leftSection={<IconSend size={16} aria-hidden />} loading={sending} disabled={!trimmed || tooLong}>
          {sending ? 'Sending…' : 'Send'}
        </Button>
      </Group>
    </form>
  );
}
