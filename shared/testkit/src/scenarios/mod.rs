//! One scenario set per port. Each adapter's tests run the whole set with
//! [`port_scenarios!`](crate::port_scenarios), so a behaviour in which two adapters differ is a
//! failing test rather than a surprise in production.
//!
//! | port | set | adapters that run it |
//! | --- | --- | --- |
//! | `Table` | [`table`] | memory, SQLite (`genoflow-local`), DynamoDB on moto (`genoflow-aws`) |
//! | `BlobStore` | [`blob`] | memory, files (`genoflow-local`), S3 on moto (`genoflow-aws`) |
//! | `Queue` | [`queue`] | memory, SQLite (`genoflow-local`), SQS on moto (`genoflow-aws`) |
//! | `TokenSigner` | [`token`] | HMAC (`genoflow-core`), in the test kit's own tests |
//! | `Chain` | [`chain`] | memory, a node's HTTP API (`genoflow-node`) on the chain stand-in |
//!
//! A scenario takes the port (`&dyn Table`), or, where the adapter's tests must play a part the
//! port does not cover, the set's helper trait, which hands out the port: a [`blob::Browser`] PUTs
//! to the URLs a store signs, a [`queue::Inbox`] receives what a queue holds, [`token::Signers`]
//! makes signers of given secrets, a [`chain::Miner`] waits for blocks. The adapter's test implements it on a small struct owning the
//! adapter, and answers that struct from [`port_scenarios!`](crate::port_scenarios)'s block.

pub mod blob;
pub mod chain;
pub mod queue;
pub mod table;
pub mod token;

/// One test per scenario of [`table`], each on the table `$make` answers (see
/// [`port_scenarios!`](crate::port_scenarios)).
#[macro_export]
macro_rules! table_scenarios {
    ($($make:tt)+) => {
        $crate::port_scenarios!($($make)+ ; table;
            dataset_conditions,
            sample_conditions,
            dataset_paging,
            sample_paging,
            nonce_expiry,
            batches_and_the_nonce_counter,
            oracle_values,
            leases_and_sample_deletion,
        );
    };
}

/// One test per scenario of [`blob`], each on the [`blob::Browser`] `$make` answers (see
/// [`port_scenarios!`](crate::port_scenarios)).
#[macro_export]
macro_rules! blob_scenarios {
    ($($make:tt)+) => {
        $crate::port_scenarios!($($make)+ ; blob;
            objects_are_written_read_and_replaced,
            ranges_are_clamped_to_the_object,
            a_missing_object_is_not_found,
            keys_are_listed_sorted_by_prefix,
            copies_are_independent_and_deletes_idempotent,
            a_presigned_put_stores_only_the_bound_body_before_expiry,
            a_presigned_get_serves_the_object_until_it_expires,
            multipart_completion_checks_the_part_list,
            an_aborted_upload_takes_no_more_parts,
        );
    };
}

/// One test per scenario of [`queue`], each on the [`queue::Inbox`] `$make` answers (see
/// [`port_scenarios!`](crate::port_scenarios)).
#[macro_export]
macro_rules! queue_scenarios {
    ($($make:tt)+) => {
        $crate::port_scenarios!($($make)+ ; queue;
            messages_arrive_as_sent_to_their_queue,
            a_message_sent_twice_arrives_twice,
        );
    };
}

/// One test per scenario of [`chain`], each with the [`chain::Miner`] `$make` answers (see
/// [`port_scenarios!`](crate::port_scenarios)).
#[macro_export]
macro_rules! chain_scenarios {
    ($($make:tt)+) => {
        $crate::port_scenarios!($($make)+ ; chain;
            a_signed_transfer_is_mined_and_moves_the_nonce,
            a_used_nonce_is_refused_as_bad_nonce,
            an_unknown_transaction_is_not_found,
        );
    };
}

/// One test per scenario of [`token`], each with the [`token::Signers`] `$make` answers (see
/// [`port_scenarios!`](crate::port_scenarios)).
#[macro_export]
macro_rules! token_scenarios {
    ($($make:tt)+) => {
        $crate::port_scenarios!($($make)+ ; token;
            a_token_verifies_to_its_claims,
            an_expired_token_is_refused,
            a_tampered_token_is_refused,
            another_secrets_token_is_refused,
            debug_never_shows_the_secret,
        );
    };
}

/// One `#[tokio::test]` per scenario of a set, each on a fresh adapter.
///
/// `$make` is an async block answering `(adapter, guard)`: the guard (a temporary directory,
/// an emulator's table) lives until the scenario ends. Used through each set's macro, in a test
/// file:
///
/// ```ignore
/// genoflow_testkit::table_scenarios!(async {
///     (genoflow_testkit::memory::MemoryTable::default(), ())
/// });
/// ```
///
/// The tests are `#[tokio::test]`s, unless other attributes come first, in brackets (the
/// emulator's: ignored without one, on a multi-threaded runtime):
///
/// ```ignore
/// genoflow_testkit::table_scenarios!(
///     [#[tokio::test(flavor = "multi_thread", worker_threads = 2)] #[ignore = "needs moto"]]
///     async { (emulator().await.table, ()) }
/// );
/// ```
///
/// The adapter is what the set's scenarios take: the port, or the set's helper trait (see the
/// module's documentation).
#[macro_export]
macro_rules! port_scenarios {
    ([$($attribute:tt)*] $make:expr ; $set:ident ; $(,)?) => {};
    ([$($attribute:tt)*] $make:expr ; $set:ident ; $scenario:ident $(, $rest:ident)* $(,)?) => {
        $($attribute)*
        async fn $scenario() {
            let (adapter, _guard) = $make.await;
            $crate::scenarios::$set::$scenario(&adapter).await;
        }
        $crate::port_scenarios!([$($attribute)*] $make ; $set ; $($rest),*);
    };
    ($make:expr ; $set:ident ; $($scenario:ident),* $(,)?) => {
        $crate::port_scenarios!([#[tokio::test]] $make ; $set ; $($scenario),*);
    };
}
