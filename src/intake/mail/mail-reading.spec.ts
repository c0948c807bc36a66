import { readMail } from './mail-reading';

const mail = (headers: string[]) =>
  Buffer.from([`From: Kari Lunde <kari@havbruk-data.example>`, `To: post@firm.example`, `Subject: Forespørsel`, `Message-ID: <x@havbruk-data.example>`, ...headers, '', 'Hei, vi trenger en app.'].join('\r\n'));

describe('[SRC-MAIL] which mail is nobody’s request', () => {
  it('a person’s mail is read as a request', async () => {
    expect((await readMail(mail([]))).automatic).toBeNull();
  });

  it.each(['List-Id: <news.example.com>', 'List-Unsubscribe: <https://news.example.com/u/1>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Post: <mailto:dev@lists.example.com>'])(
    'a newsletter or list post carrying %s is skipped as list mail',
    async (header) => {
      expect((await readMail(mail([header]))).automatic).toBe('mailing_list');
    },
  );

  it('bulk precedence and auto-replies are skipped for what they are', async () => {
    expect((await readMail(mail(['Precedence: bulk']))).automatic).toBe('bulk');
    expect((await readMail(mail(['Auto-Submitted: auto-replied']))).automatic).toBe('auto_submitted');
  });
});
