-- A person's e-mail address, where notifications naming them are sent.
ALTER TABLE account ADD COLUMN email TEXT;
