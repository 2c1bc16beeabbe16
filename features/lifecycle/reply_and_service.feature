Feature: The written reply, its approval and its service (处理意见书、审批、送达、落实)
  The handling unit issues a written reply (处理意见书) stating the request, the facts and reasons,
  its opinion and the legal basis. The head or the leader in charge approves it, and it is served on
  the petitioner. A supported opinion must then be carried out (《信访工作条例》 art. 32).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05

  Rule: The reply is issued, approved, then served

    Scenario: The housing bureau issues a reply supporting the request
      When 伊州区住房和城乡建设局 issues its reply on case A on 2026-04-20: 支持
      Then case A stands at "已出具处理意见"

    Scenario: The leader in charge approves the reply
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      When 陈静 approves the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      Then the reply on case A is 支持, approved by 陈静

    Scenario: A petition officer cannot approve the reply
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      When 刘洋 approves the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      Then the step is refused with "reply.approver_not_leader"
      And nothing was recorded

    Scenario: The approved reply is served on the petitioner in person
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      When 伊州区住房和城乡建设局 serves the reply on case A on 2026-04-22 by 直接送达
      Then case A stands at "已送达办结"
      And the reply on case A was served on 2026-04-22 by 直接送达

    Scenario: Nothing can be served before the reply is issued
      When 伊州区住房和城乡建设局 serves the reply on case A on 2026-04-22 by 直接送达
      Then the step is refused with "case.wrong_stage"
      And nothing was recorded

    Scenario: A reply cannot be served before it is approved
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      When 伊州区住房和城乡建设局 serves the reply on case A on 2026-04-22 by 直接送达
      Then the step is refused with "service.reply_not_approved"
      And nothing was recorded

  Rule: A supported opinion is carried out

    Scenario: A served, supported opinion awaits being carried out
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      When 伊州区住房和城乡建设局 serves the reply on case A on 2026-04-22 by 邮寄送达
      Then case A awaits the carrying out of its supported opinion

    Scenario: The housing bureau records that the supported opinion was carried out
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 支持
      And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      And 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
      When 伊州区住房和城乡建设局 records that the opinion on case A was carried out on 2026-05-10
      Then case A no longer awaits the carrying out of its supported opinion

    Scenario: An opinion that does not support the request has nothing to carry out
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-20: 不予支持
      And 陈静 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-21
      And 伊州区住房和城乡建设局 served the reply on case A on 2026-04-22 by 直接送达
      When 伊州区住房和城乡建设局 records that the opinion on case A was carried out on 2026-05-10
      Then the step is refused with "execution.not_supported"
      And nothing was recorded
