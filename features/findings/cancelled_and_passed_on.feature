Feature: Steps that ended without the unit doing them (withdrawal, passing on, another unit's supervision)
  A withdrawal ends a duty from then on, but it does not undo the days a step had already been
  left undone: that inaction stands, counted up to the withdrawal. A duty withdrawn before its
  deadline accuses nobody. A unit that passes a matter on to the competent unit has decided on it
  (art. 23); routing a matter down the territorial chain is not shirking (推诿); and only the
  supervision addressed to a unit counts against that unit.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Rule: A withdrawal does not erase a deadline already missed

    Background:
      Given 伊州区信访局 registered case A on 2026-03-02
      And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)
      And 伊州区住房和城乡建设局 made 李娜 the handler of case A on 2026-03-06

    Scenario: The petitioner gives up waiting after the handling deadline of 6 May
      Given 伊州区住房和城乡建设局 recorded the petitioner's withdrawal of case A on 2026-06-01
      When findings on case A are evaluated as of 2026-06-30
      Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
      And it counts 26 days
      And it names the handler 李娜
      And it names the leader 陈静

    Scenario: The petitioner withdraws before the deadline
      Given 伊州区住房和城乡建设局 recorded the petitioner's withdrawal of case A on 2026-04-20
      When findings on case A are evaluated as of 2026-06-30
      Then there is no "受理后60日（含批准延期）内未办结" finding

    Scenario: A reply withdrawn while it could still be served on time is not left unserved
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 解释说明
      And 伊州区住房和城乡建设局 recorded the petitioner's withdrawal of case A on 2026-04-03
      When findings on case A are evaluated as of 2026-04-20
      Then there is no "出具意见后未送达（未送达即报结或长期未送达）" finding

  Rule: Passing a matter on to the competent unit is a decision, and routing down is not shirking

    Background:
      Given 哈密市信访局 registered case C on 2026-03-02
      And 哈密市信访局 transferred case C to 伊州区信访局 on 2026-03-03
      And 伊州区信访局 signed for case C on 2026-03-04
      And 伊州区信访局 told the petitioner of case C in writing on 2026-03-04 (处理途径告知)

    Scenario: The district bureau passes the matter on the next day; the housing bureau never signs
      Given 伊州区信访局 transferred case C to 伊州区住房和城乡建设局 on 2026-03-05
      When findings on case C are evaluated as of 2026-03-25
      Then there is no "收到信访事项后逾期未决定是否受理" finding

    Scenario: The district bureau sits on the matter and passes it on two days late
      Given 伊州区信访局 transferred case C to 伊州区住房和城乡建设局 on 2026-03-21
      When findings on case C are evaluated as of 2026-03-25
      Then a 慢作为 finding "超过告知期限才决定是否受理" names 伊州区信访局
      And it counts 2 days

    Scenario: City, district, street, community: three transfers down the chain
      Given 伊州区信访局 transferred case C to 东河街道 on 2026-03-05
      And 东河街道 signed for case C on 2026-03-06
      And 东河街道 transferred case C to 天山社区 on 2026-03-07
      When findings on case C are evaluated as of 2026-03-08
      Then there is no "推诿：事项在单位之间反复转送" finding

  Rule: Only the supervision addressed to a unit counts against it

    Scenario: The labour bureau and the housing bureau are each supervised once
      Given 伊州区信访局 registered case A on 2026-03-02
      And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)
      And 伊州区信访局 supervised 伊州区人力资源和社会保障局 on case A by 书面督办 on 2026-03-20, answer due 2026-03-27
      And 伊州区信访局 supervised case A by 书面督办 on 2026-03-22, answer due 2026-03-29
      And 伊州区住房和城乡建设局 issued its reply on case A on 2026-03-24: 支持
      When findings on case A are evaluated as of 2026-03-25
      Then there is no "经两次以上督办才推进" finding
