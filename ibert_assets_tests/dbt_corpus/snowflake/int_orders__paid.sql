with orders as (
    select * from "ANALYTICS"."STAGING"."STG_SHOP__ORDERS"
),

payments as (
    select * from "ANALYTICS"."STAGING"."STG_SHOP__PAYMENTS"
),

paid as (
    select
        order_id,
        sum(case when payment_status = 'success' then payment_amount else 0 end) as paid_amount,
        count_if(payment_status = 'failed') as failed_payments
    from payments
    group by 1
)

select
    orders.order_id,
    orders.customer_id,
    orders.order_status,
    coalesce(paid.paid_amount, 0) as paid_amount,
    coalesce(paid.failed_payments, 0) as failed_payments
from orders
left join paid on orders.order_id = paid.order_id
where orders.order_status = any ('completed', 'shipped')
