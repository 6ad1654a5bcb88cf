//! The in-memory adapters pass every port's scenarios, as the embedded and AWS adapters do (and
//! the HMAC token signer, the only `TokenSigner`, passes the token scenarios).
#![allow(clippy::unwrap_used)]

mod table {
    genoflow_testkit::table_scenarios!(async {
        (genoflow_testkit::memory::MemoryTable::default(), ())
    });
}

mod blob {
    use async_trait::async_trait;
    use genoflow_core::ports::{BlobStore, PresignedPut};
    use genoflow_testkit::{memory::MemoryBlobStore, scenarios::blob::Browser};
    use time::OffsetDateTime;

    /// The memory store's own checks play the browser.
    #[derive(Default)]
    struct Memory(MemoryBlobStore);

    #[async_trait]
    impl Browser for Memory {
        fn store(&self) -> &dyn BlobStore {
            &self.0
        }

        async fn put_presigned(
            &self,
            put: &PresignedPut,
            body: Vec<u8>,
            at: OffsetDateTime,
        ) -> Result<(), String> {
            self.0
                .put_presigned(put, &put.headers, body, at)
                .map_err(|e| e.to_string())
        }

        async fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, String> {
            self.0.put_part(url, body).map_err(|e| e.to_string())
        }

        async fn get_presigned(&self, url: &str, at: OffsetDateTime) -> Result<Vec<u8>, String> {
            self.0.get_presigned(url, at).map_err(|e| e.to_string())
        }
    }

    genoflow_testkit::blob_scenarios!(async { (Memory::default(), ()) });
}

mod queue {
    use std::{collections::HashMap, sync::Mutex};

    use async_trait::async_trait;
    use genoflow_core::ports::{Message, Queue, QueueName};
    use genoflow_testkit::{memory::MemoryQueue, scenarios::queue::Inbox};

    /// The sent list; each queue's messages received once.
    #[derive(Default)]
    struct Memory {
        queue: MemoryQueue,
        received: Mutex<HashMap<QueueName, usize>>,
    }

    #[async_trait]
    impl Inbox for Memory {
        fn queue(&self) -> &dyn Queue {
            &self.queue
        }

        async fn received(&self, queue: QueueName) -> Vec<Message> {
            let mut received = self.received.lock().unwrap();
            let before = received.entry(queue).or_default();
            let new: Vec<Message> = self
                .queue
                .sent()
                .into_iter()
                .filter(|message| message.queue() == queue)
                .skip(*before)
                .collect();
            *before += new.len();
            new
        }
    }

    genoflow_testkit::queue_scenarios!(async { (Memory::default(), ()) });
}

mod token {
    use genoflow_core::ports::{HmacSecret, HmacTokenSigner};
    use genoflow_testkit::scenarios::token::{DebugSigner, Signers};

    /// The HMAC signer of bearer tokens.
    struct Hmac;

    impl Signers for Hmac {
        fn with_secret(&self, secret: &[u8]) -> Box<dyn DebugSigner> {
            Box::new(HmacTokenSigner::new(
                HmacSecret::new(secret.to_vec()).unwrap(),
            ))
        }
    }

    genoflow_testkit::token_scenarios!(async { (Hmac, ()) });
}

mod chain {
    use async_trait::async_trait;
    use genoflow_core::ports::Chain;
    use genoflow_stacks::keys::PrivateKey;
    use genoflow_testkit::{keys::ALICE_KEY, memory::MemoryChain, scenarios::chain::Miner};

    /// The memory chain mines when told.
    struct Memory {
        chain: MemoryChain,
        sender: PrivateKey,
    }

    #[async_trait]
    impl Miner for Memory {
        fn chain(&self) -> &dyn Chain {
            &self.chain
        }

        fn sender(&self) -> &PrivateKey {
            &self.sender
        }

        async fn settle(&self, _txid: &[u8; 32]) {
            self.chain.mine();
        }
    }

    genoflow_testkit::chain_scenarios!(async {
        let memory = Memory {
            chain: MemoryChain::default(),
            sender: PrivateKey::from_hex(ALICE_KEY).unwrap(),
        };
        (memory, ())
    });
}
