import { describe, expect, it } from 'vitest';
import { isDecodablePath } from './request-path';

describe('isDecodablePath', () => {
  it.each(['/api/chat-messages/task_1', '/api/chat-messages/%E3%82%BF', '/api/x/%00', '/a?b=%FF', '/a#%FF', '/'])(
    'accepts %s (the query and fragment are not its business)',
    (url) => expect(isDecodablePath(url)).toBe(true),
  );
  it.each(['/api/chat-messages/%FF', '/api/%ED%A0%80', '/api/%C0%80', '/api/%E2%82', '/api/100%', '/api/%zz?x=1'])('refuses %s', (url) =>
    expect(isDecodablePath(url)).toBe(false),
  );
});
