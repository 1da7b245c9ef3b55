"""What tests share that is not a fixture: the machine's broker and PostgreSQL (`infrastructure`),
networks started as `make run` starts them (`network`, `private_stack`), broker clients and waits
(`reliability`), the orders counter's world (`counter`), partners' webhooks (`webhooks`), the
coordination page's fake services and DOM (`coordination`). Fixtures live in the conftest.py files;
test modules import from here, never from one another (tests/conftest.py checks it)."""
