-- Who sends each attempt of a notification: the replica that inserts the row for (task, attempt) first, and only
-- it. A claim whose attempt was never reported (its sender stopped mid-delivery) is not sent again.
CREATE TABLE delivery_claim (
    task INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    claimant TEXT NOT NULL,
    claimed_ms INTEGER NOT NULL,
    PRIMARY KEY (task, attempt)
);
